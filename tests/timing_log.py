"""Reading the server's timing log (GALLERY_TIMING_LOG, written by app/timing.py): one JSON line
per request, {"kind", "path", "ms", "cpu_ms", "pid"}; `count`, `record` and `timed` see the
requests to Mesop only (kind "ui"), `media` the image route's. Shared by the tests and the
benchmarks."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _records(log: Path, kind: str) -> list[dict[str, Any]]:
    lines = log.read_text().splitlines() if log.exists() else []
    records = [
        json.loads(line) for line in lines if line.endswith("}")
    ]  # one being written: not yet
    return [r for r in records if r.get("kind", "ui") == kind]


def count(log: Path) -> int:
    """How many requests to Mesop are logged so far: the index the next one will have."""
    return len(_records(log, "ui"))


def media(log: Path) -> list[dict[str, Any]]:
    """The image route's requests logged so far (the /database page's images)."""
    return _records(log, "media")


def record(log: Path, line: int, timeout: float) -> dict[str, Any]:
    """The record of the request logged as line `line` (0-based), waiting up to `timeout`
    seconds for it: the server writes it when the reply has been sent, a moment after the
    browser sees the reply."""
    deadline = time.monotonic() + timeout
    while True:
        records = _records(log, "ui")
        if len(records) > line:
            return records[line]
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
