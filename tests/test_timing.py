"""app/timing.py: wall-clock and CPU time per /__ui__ request, logged once the reply is sent."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from app import timing
from app.wsgi import WsgiApp


def start_response(status: str, headers: list) -> None:
    pass


def served(app: WsgiApp, log: Path, path: str = "/__ui__") -> dict | None:
    body = b"".join(timing.wrap(app, str(log))({"PATH_INFO": path}, start_response))
    assert body == b"done"
    return json.loads(log.read_text().splitlines()[-1]) if log.exists() else None


def sleeping(environ: dict, start_response: Callable[..., Any]) -> Iterator[bytes]:
    time.sleep(0.2)  # waiting, as on a slow store: wall-clock time, no CPU time
    yield b"done"


def busy(environ: dict, start_response: Callable[..., Any]) -> Iterator[bytes]:
    started = time.thread_time()
    while time.thread_time() - started < 0.05:  # 50 ms of this thread's CPU, however loaded
        pass
    yield b"done"


def test_waiting_counts_as_wall_time_not_cpu_time(tmp_path: Path) -> None:
    record = served(sleeping, tmp_path / "log")
    assert record is not None and record["ms"] >= 200 and record["cpu_ms"] < 100, record


def test_computing_counts_as_cpu_time(tmp_path: Path) -> None:
    record = served(busy, tmp_path / "log")
    assert record is not None and record["cpu_ms"] >= 50, record


def test_only_ui_requests_are_logged(tmp_path: Path) -> None:
    assert served(busy, tmp_path / "log", path="/gcs") is None
