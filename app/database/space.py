"""What the /database page may store in all: the oldest images go first, as a bucket's lifecycle
rule would have it.

Why: a per-gallery cap alone bounds nothing, since a new gallery costs a visitor nothing (an id
the server makes). On Cloud Run with SQLite the file lives in the instance's memory; on Cloud SQL
it is disk and money. DATABASE_MAX_BYTES bounds the stored JPEGs (displays and thumbnails): an add
that would pass it first deletes the oldest gallery items, a batch at a time, then the blobs that
no item names any more. Blobs that every gallery shares (the samples) stay while any item names
them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, func, select, tuple_

from app.database.schema import blobs, items

BATCH = 12  # oldest items deleted per round
ROUNDS = 100  # at most BATCH * ROUNDS items make room for one add


def stored_bytes(connection: Connection) -> int:
    return connection.scalar(select(func.coalesce(func.sum(blobs.c.size_bytes), 0)))


def drop_unnamed(connection: Connection, names: Iterable[str]) -> None:
    """Delete those of these blobs that no item names any more."""
    named = select(items.c.key).where(
        (items.c.display == blobs.c.sha256) | (items.c.thumb == blobs.c.sha256)
    )
    connection.execute(delete(blobs).where(blobs.c.sha256.in_(set(names)), ~named.exists()))


def make_room(connection: Connection, needed: int, limit: int) -> bool:
    """Delete the oldest items until `needed` more bytes fit under `limit`; False if they cannot
    (what is left is named by the newest items, or `needed` alone is over the limit)."""
    for _ in range(ROUNDS):
        if stored_bytes(connection) + needed <= limit:
            return True
        oldest = connection.execute(
            select(items.c.gallery_id, items.c.key).order_by(items.c.position).limit(BATCH)
        ).all()
        if not oldest:
            return False
        pairs = tuple_(items.c.gallery_id, items.c.key).in_([tuple(row) for row in oldest])
        gone = connection.execute(
            delete(items).where(pairs).returning(items.c.display, items.c.thumb)
        )
        drop_unnamed(connection, {name for row in gone for name in row})
    return stored_bytes(connection) + needed <= limit
