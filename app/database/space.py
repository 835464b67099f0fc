"""What the /database page may store in all: the oldest images go first, as a bucket's lifecycle
rule would have it.

Why: a per-gallery cap alone bounds nothing, since a new gallery costs a visitor nothing (an id
the server makes). On Cloud Run with SQLite the file lives in the instance's memory; on Cloud SQL
it is disk and money. DATABASE_MAX_BYTES bounds the stored JPEGs (displays and thumbnails): an add
that would pass it first deletes the oldest gallery items, a batch at a time, then the blobs that
no item names any more. Blobs that every gallery shares (the samples) stay while any item names
them.

Each round of eviction commits on its own, before the add's own transaction: a refusal (the
cap still not met after ROUNDS rounds) keeps what was evicted, and the next add goes on from
there; eviction would otherwise be rolled back with the refusal and never make progress. The
total is read once and then counted down by the bytes each round frees: summing a column that
sits beside the images would read every image from disk on SQLite, once per round. (So adds
running at the same moment may each pass the cap by their own images.)
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Engine, delete, func, select, tuple_

from app.database.schema import blobs, items

BATCH = 12  # oldest items deleted per round
ROUNDS = 100  # at most BATCH * ROUNDS items make room for one add


def stored_bytes(connection: Connection) -> int:
    return connection.scalar(select(func.coalesce(func.sum(blobs.c.size_bytes), 0)))


def drop_unnamed(connection: Connection, names: Iterable[str]) -> int:
    """Delete those of these blobs that no item names any more; return the bytes freed."""
    named = select(items.c.key).where(
        (items.c.display == blobs.c.sha256) | (items.c.thumb == blobs.c.sha256)
    )
    unnamed = delete(blobs).where(blobs.c.sha256.in_(set(names)), ~named.exists())
    return sum(connection.scalars(unnamed.returning(blobs.c.size_bytes)))


def make_room(engine: Engine, needed: int, limit: int) -> bool:
    """Delete the oldest items until `needed` more bytes fit under `limit`; False if they do not
    yet (what was deleted stays deleted: the next add goes on), or cannot (`needed` alone is
    over the limit)."""
    if needed > limit:
        return False
    with engine.connect() as connection:
        total = stored_bytes(connection)
    for _ in range(ROUNDS):
        if total + needed <= limit:
            return True
        with engine.begin() as connection:
            oldest = connection.execute(
                select(items.c.gallery_id, items.c.key).order_by(items.c.position).limit(BATCH)
            ).all()
            if not oldest:
                return False
            pairs = tuple_(items.c.gallery_id, items.c.key).in_([tuple(row) for row in oldest])
            gone = connection.execute(
                delete(items).where(pairs).returning(items.c.display, items.c.thumb)
            )
            total -= drop_unnamed(connection, {name for row in gone for name in row})
    return total + needed <= limit
