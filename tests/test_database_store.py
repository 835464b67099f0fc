"""/database's plumbing against a real SQLite file: the total cap (the oldest images go first,
shared blobs stay while named), a database that cannot be reached (remembered for a moment,
then tried again), and DATABASE_URL checked at start-up without echoing it."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from app import config
from app.database import engine as db
from app.database import space
from app.database.schema import blobs, items

KB = 1024


@pytest.fixture
def engine(tmp_path: Path, database_at: Callable[[Path], None]) -> Iterator[Engine]:
    database_at(tmp_path / "space.sqlite3")
    yield db.get().engine
    db.get().engine.dispose()


def add(engine: Engine, gallery: str, position: int, jpeg: bytes) -> str:
    """An item whose display and thumbnail are both `jpeg` (size counted once, as one blob)."""
    sha = hashlib.sha256(jpeg).hexdigest()
    with engine.begin() as connection:
        db.insert_once(connection, blobs, {"sha256": sha, "jpeg": jpeg, "size_bytes": len(jpeg)})
        connection.execute(
            items.insert().values(gallery_id=gallery, key=f"k{position}", position=position,
                                  name="x.jpg", display=sha, thumb=sha, width=1, height=1,
                                  size_bytes=len(jpeg))
        )  # fmt: skip
    return sha


def read(engine: Engine, query: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.scalars(query))


def positions(engine: Engine) -> list[int]:
    return read(engine, select(items.c.position).order_by(items.c.position))


def stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return space.stored_bytes(connection)


def test_past_the_cap_the_oldest_items_go_and_their_unnamed_blobs_with_them(
    engine: Engine,
) -> None:
    shared = os.urandom(10 * KB)
    for position in range(30):  # 30 items of 10 KB each, the first 3 sharing one blob
        add(
            engine,
            f"gallery{position % 3}",
            position,
            shared if position < 3 else os.urandom(10 * KB),
        )
    assert stored(engine) == 28 * 10 * KB
    assert space.make_room(engine, needed=50 * KB, limit=200 * KB)
    assert stored(engine) + 50 * KB <= 200 * KB
    left = positions(engine)
    assert left == list(range(30 - len(left), 30))  # the newest stay, in order
    assert read(engine, select(func.count()).select_from(blobs)) == [len(left)]  # none orphaned


def test_a_blob_named_by_a_newer_item_stays(engine: Engine) -> None:
    sample = os.urandom(10 * KB)
    old = add(engine, "a", 0, sample)
    for position in range(1, space.BATCH + 1):
        add(engine, "b", position, os.urandom(10 * KB))
    add(engine, "c", space.BATCH + 1, sample)  # a newer gallery shows the same sample
    assert space.make_room(engine, needed=0, limit=40 * KB)
    assert positions(engine) == [space.BATCH, space.BATCH + 1]  # one batch went
    assert read(engine, select(blobs.c.sha256).where(blobs.c.sha256 == old)) == [old]


def test_what_cannot_fit_is_refused(engine: Engine) -> None:
    add(engine, "a", 1, os.urandom(10 * KB))
    assert not space.make_room(engine, needed=30 * KB, limit=20 * KB)
    assert positions(engine) == [1]  # nothing evicted for an add that could never fit


def test_an_add_that_is_refused_keeps_what_it_evicted(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old items that free nothing (a shared sample) take the rounds of one add; it is refused,
    but what it evicted stays evicted, so the next add goes on from there and gets its room."""
    monkeypatch.setattr(space, "ROUNDS", 2)
    sample = os.urandom(10 * KB)
    for position in range(3 * space.BATCH):  # the oldest 36 items all show one sample
        add(engine, f"old{position}", position, sample)
    add(engine, "big", 50, os.urandom(40 * KB))
    for position in range(60, 60 + space.BATCH):  # and 12 newer ones show it too
        add(engine, f"new{position}", position, sample)
    assert not space.make_room(engine, needed=20 * KB, limit=60 * KB)  # 2 rounds: 24 items
    assert positions(engine)[0] == 2 * space.BATCH  # those 24 stay deleted
    assert space.make_room(engine, needed=20 * KB, limit=60 * KB)  # 12 more, then "big"
    assert positions(engine) == [60 + space.BATCH - 1]
    assert stored(engine) == 10 * KB  # the sample, which the newest item still shows


def test_a_failed_connection_is_remembered_then_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_at: Callable[[Path], None]
) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the database's folder should be")
    database_at(blocker / "gallery.sqlite3")
    with pytest.raises(db.DatabaseUnavailable) as first:
        db.get()
    blocker.unlink()  # the cause is gone, but within RETRY_AFTER_SECONDS nobody tries again
    with pytest.raises(db.DatabaseUnavailable) as second:
        db.get()
    assert second.value is first.value
    monkeypatch.setattr(db, "RETRY_AFTER_SECONDS", 0)
    assert db.get().where == "SQLite, in a file on this server"  # never the path
    db.get().engine.dispose()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql+psycopg://user:s3cret@host:port/db", "is not a database URL"),
        ("postgresql://user:s3cret@host/db", "must start with"),
        ("mysql+pymysql://user:s3cret@host/db", "must start with"),
        ("sqlite:///:memory:", "must name a SQLite file"),
    ],
)
def test_database_url_is_checked_and_never_echoed(
    monkeypatch: pytest.MonkeyPatch, url: str, says: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(config.ConfigError, match=says) as refused:
        config.load()
    assert "s3cret" not in str(refused.value) and str(refused.value).startswith("DATABASE_URL")
