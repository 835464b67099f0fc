"""Fixtures: a real gunicorn server and a real Chromium (Debian's where present)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.database import engine as database_engine
from tests.harness import Server, serve


def chromium_path() -> str | None:
    """CHROMIUM_PATH, else Debian's chromium, else None (Playwright's own browser)."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    path = chromium_path()
    return {**browser_type_launch_args, **({"executable_path": path} if path else {})}


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app under gunicorn, as in production, with its embedded GCS emulator keeping objects
    in a temporary folder; one for the session (tests use fresh pages)."""
    env = {"GCS_EMULATOR_DATA_DIR": str(tmp_path_factory.mktemp("gcs"))}
    with serve("gunicorn", env=env, log_dir=tmp_path_factory.mktemp("logs")) as server:
        yield server


@pytest.fixture
def database_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """Point this process's /database engine at a SQLite file of the test's own: the engine is
    made once per process, so it is forgotten here and made afresh on first use."""

    def point(path: Path) -> None:
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
        monkeypatch.setattr(database_engine, "_database", None)
        monkeypatch.setattr(database_engine, "_failed", None)

    return point
