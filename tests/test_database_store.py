"""/database's plumbing against a real SQLite file: the total cap (the oldest images go first,
shared blobs stay while named), a database that cannot be reached (remembered for a moment,
then tried again), and DATABASE_URL checked at start-up without echoing it."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select

from app import config
from app.database import engine as db
from app.database import space
from app.database.schema import blobs, items

KB = 1024


@pytest.fixture
def connection(tmp_path: Path, database_at: Callable[[Path], None]) -> Iterator[Connection]:
    database_at(tmp_path / "space.sqlite3")
    with db.get().engine.begin() as found:
        yield found
    db.get().engine.dispose()


def add(connection: Connection, gallery: str, position: int, jpeg: bytes) -> str:
    """An item whose display and thumbnail are both `jpeg` (size counted once, as one blob)."""
    sha = hashlib.sha256(jpeg).hexdigest()
    db.insert_once(connection, blobs, {"sha256": sha, "jpeg": jpeg, "size_bytes": len(jpeg)})
    connection.execute(
        items.insert().values(gallery_id=gallery, key=f"k{position}", position=position,
                              name="x.jpg", display=sha, thumb=sha, width=1, height=1,
                              size_bytes=len(jpeg))
    )  # fmt: skip
    return sha


def positions(connection: Connection) -> list[int]:
    return list(connection.scalars(select(items.c.position).order_by(items.c.position)))


def test_past_the_cap_the_oldest_items_go_and_their_unnamed_blobs_with_them(
    connection: Connection,
) -> None:
    shared = os.urandom(10 * KB)
    for position in range(30):  # 30 items of 10 KB each, the first 3 sharing one blob
        add(
            connection,
            f"gallery{position % 3}",
            position,
            shared if position < 3 else os.urandom(10 * KB),
        )
    assert space.stored_bytes(connection) == 28 * 10 * KB
    assert space.make_room(connection, needed=50 * KB, limit=200 * KB)
    assert space.stored_bytes(connection) + 50 * KB <= 200 * KB
    left = positions(connection)
    assert left == list(range(30 - len(left), 30))  # the newest stay, in order
    named = select(func.count()).select_from(blobs)
    assert connection.scalar(named) == len(left)  # no blob outlives the items naming it


def test_a_blob_named_by_a_newer_item_stays(connection: Connection) -> None:
    sample = os.urandom(10 * KB)
    old = add(connection, "a", 0, sample)
    for position in range(1, space.BATCH + 1):
        add(connection, "b", position, os.urandom(10 * KB))
    add(connection, "c", space.BATCH + 1, sample)  # a newer gallery shows the same sample
    assert space.make_room(connection, needed=0, limit=40 * KB)
    assert positions(connection) == [space.BATCH, space.BATCH + 1]  # one batch went
    assert connection.scalar(select(blobs.c.sha256).where(blobs.c.sha256 == old)) == old


def test_what_cannot_fit_is_refused(connection: Connection) -> None:
    add(connection, "a", 1, os.urandom(10 * KB))
    assert not space.make_room(connection, needed=30 * KB, limit=20 * KB)


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
