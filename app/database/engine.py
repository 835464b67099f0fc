"""The database the /database page uses, chosen from DATABASE_URL, and its errors made readable.

- Default: SQLite in one file under .db-data/ (made on first use), in WAL mode so that several
  gunicorn workers read while one writes, with a busy timeout instead of "database is locked".
- DATABASE_URL=postgresql+psycopg://...: PostgreSQL, and so Cloud SQL (docs/deploy.md), with short
  connect and statement timeouts so that an outage becomes a message within seconds.
Connecting and creating the schema happen on first use, not at start-up: the other pages work
while the database is down, and the page recovers when it is back.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, exc, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url

from app import config
from app.database.schema import metadata
from app.errors import StoreUnavailable

TIMEOUT_SECONDS = 3  # to connect, and for a statement (PostgreSQL); SQLite waits on its lock
POOL = {"pool_size": 4, "max_overflow": 4}  # per process: docs/deploy.md counts connections
SCHEMA_LOCK = 7_221_318  # any constant: PostgreSQL's advisory lock id for creating the schema


class DatabaseUnavailable(StoreUnavailable):
    """The database cannot be reached or refused the query; `str()` is shown on the page."""


@dataclass(frozen=True)
class Database:
    engine: Engine
    where: str  # for the page: the kind of database, never its host, path or password
    shared: bool  # every process that serves the app finds the same data (not so: SQLite on
    # Cloud Run, a file in one instance's memory, gone when the instance goes)


RETRY_AFTER_SECONDS = 5  # after a failed first connection, callers are told at once meanwhile

_database: Database | None = None
_failed: tuple[float, DatabaseUnavailable] | None = None  # when, and what it said
_lock = threading.Lock()


def get() -> Database:
    """Connected and with its schema, once per process. A failure is remembered for a few
    seconds: while the database is down, a burst of requests (pages, the media route) must not
    queue up behind one connection attempt each, holding every thread of the worker."""
    global _database, _failed
    with _lock:
        if _database is not None:
            return _database
        if _failed is not None and time.monotonic() - _failed[0] < RETRY_AFTER_SECONDS:
            raise _failed[1]
        try:
            with errors("connecting to the database"):
                _database = _connect(config.load().database_url)
        except DatabaseUnavailable as failure:
            _failed = (time.monotonic(), failure)
            raise
        _failed = None
        return _database


def check() -> None:
    """Raise DatabaseUnavailable unless the database answers now (a page load with nothing to
    read says so at once, rather than at the first add)."""
    with errors("connecting to the database"), get().engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _connect(url_text: str) -> Database:
    url = make_url(url_text)
    if url.get_backend_name() == "sqlite":
        Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_settings)
        where = "SQLite, in a file on this server"
        shared = not config.load().on_cloud_run
    elif url.get_backend_name() == "postgresql":
        engine = create_engine(
            url,
            pool_pre_ping=True,  # a restarted server's dead connections are replaced, not used
            **POOL,
            pool_timeout=TIMEOUT_SECONDS,
            connect_args={
                "connect_timeout": TIMEOUT_SECONDS,
                "options": f"-c statement_timeout={TIMEOUT_SECONDS * 1000}",
            },
        )
        where = "PostgreSQL (DATABASE_URL)"
        shared = True
    else:
        raise DatabaseUnavailable(
            f"DATABASE_URL names {url.get_backend_name()!r}: use sqlite:///... or "
            "postgresql+psycopg://..."
        )
    _create_schema(engine)
    return Database(engine, where, shared)


def _sqlite_settings(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; one fsync per checkpoint
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_size_limit=67108864")  # the WAL file shrinks back to 64 MB
    cursor.close()


def _create_schema(engine: Engine) -> None:
    """Idempotent, and safe when several workers start at once: on PostgreSQL they take turns
    (an advisory lock); on SQLite the loser of a race finds the tables made and tries again."""
    for attempt in range(3):
        try:
            with engine.begin() as connection:
                if engine.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:id)"), {"id": SCHEMA_LOCK}
                    )
                metadata.create_all(connection, checkfirst=True)
            return
        except exc.OperationalError:
            if attempt == 2 or engine.dialect.name != "sqlite":
                raise


def insert_once(connection: Connection, table: Table, row: dict[str, Any]) -> None:
    """Insert `row` unless its primary key is there already (a blob stored by another gallery)."""
    if connection.dialect.name == "postgresql":
        connection.execute(postgresql_insert(table).values(row).on_conflict_do_nothing())
    else:
        connection.execute(sqlite_insert(table).values(row).on_conflict_do_nothing())


@contextlib.contextmanager
def errors(doing: str) -> Iterator[None]:
    """SQLAlchemy's and the drivers' exceptions, as one DatabaseUnavailable a person can read."""
    try:
        yield
    except DatabaseUnavailable:
        raise
    except (exc.OperationalError, exc.InterfaceError, exc.TimeoutError) as error:
        raise DatabaseUnavailable(
            f"{doing} failed: the database is unreachable or busy ({_cause(error)}). "
            "Your images are safe in it; try again in a moment."
        ) from error
    except OSError as error:  # SQLite's folder cannot be made (a file in the way, no room)
        raise DatabaseUnavailable(
            f"{doing} failed: the database's folder cannot be used ({type(error).__name__})."
        ) from error
    except exc.SQLAlchemyError as error:
        raise DatabaseUnavailable(
            f"{doing} failed: the database refused it ({_cause(error)})."
        ) from error


def _cause(error: Exception) -> str:
    """The driver's exception class, never its message (which may name hosts or users)."""
    original = getattr(error, "orig", None)
    return type(original or error).__name__
