"""Reading the server's timing log (GALLERY_TIMING_LOG, written by app/timing.py): one JSON line
per /__ui__ request, {"path", "ms", "cpu_ms", "pid"}. Shared by the tests and the benchmarks."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def count(log: Path) -> int:
    """How many requests are logged so far: the line number the next one will have."""
    return len(log.read_text().splitlines()) if log.exists() else 0


def record(log: Path, line: int, timeout: float) -> dict[str, Any]:
    """The record of the request logged as line `line` (0-based), waiting up to `timeout`
    seconds for it: the server writes it when the reply has been sent, a moment after the
    browser sees the reply."""
    deadline = time.monotonic() + timeout
    while True:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) > line:
            return json.loads(lines[line])
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"no timing line {line} in {log} after {timeout:.0f} s: "
                "is GALLERY_TIMING_LOG set for the server?"
            )
        time.sleep(0.01)


def timed(log: Path, action: Callable[[], object], timeout: float) -> dict[str, Any]:
    """Run `action` (a click) and return the record of the request it made: the next line."""
    before = count(log)
    action()
    return record(log, before, timeout)
