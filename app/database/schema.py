"""The /database pattern's two tables: image bytes once per content hash, and gallery membership.

Why two: the 12 samples (and any photo two visitors both upload) are stored once, however many
galleries show them; a gallery is rows that name blobs. Names are prefixed `gallery_` so that the
same database can also hold Mesop's own `sql` state backend (docs/deploy.md).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

metadata = MetaData()

SHA256_CHARS = 64

blobs = Table(
    "gallery_blobs",
    metadata,
    Column("sha256", String(SHA256_CHARS), primary_key=True),  # of the JPEG: its name and ETag
    # Before the image: SQLite stores a row's columns in order, so summing sizes (the cap,
    # app/database/space.py) then reads no image bytes.
    Column("size_bytes", Integer, nullable=False),
    Column("jpeg", LargeBinary, nullable=False),
)

items = Table(
    "gallery_items",
    metadata,
    Column("gallery_id", String(22), primary_key=True),  # 128 random bits (app/gallery/link.py)
    Column("key", String(40), primary_key=True),
    Column("position", BigInteger, nullable=False),  # time added, in ns: the grid's order
    Column("name", String(200), nullable=False),
    Column("display", String(SHA256_CHARS), ForeignKey(blobs.c.sha256), nullable=False),
    Column("thumb", String(SHA256_CHARS), ForeignKey(blobs.c.sha256), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Index("gallery_items_order", "gallery_id", "position"),
    Index("gallery_items_age", "position"),  # the oldest go first past the cap (space.py)
    Index("gallery_items_display", "display"),  # "is this blob still shown anywhere?" on clear
    Index("gallery_items_thumb", "thumb"),
)
