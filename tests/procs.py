"""Find processes by their command line (Linux /proc), to check the emulator's life cycle."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def emulators(data_dir: Path, program: bytes = b"fake-gcs-server") -> list[int]:
    """PIDs of fake-gcs-server processes serving `data_dir` (or, with program=b"browser_proxy",
    of the proxies in front of them)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        is_emulator = state != "Z" and any(program in arg for arg in argv[:2])
        if is_emulator and str(data_dir.resolve()).encode() in argv:
            found.append(int(proc.name))
    return found


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def wait_for(condition, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def stop_worker(pid: int) -> None:
    """Stop one gunicorn worker gracefully, as Cloud Run stops an instance when it scales in;
    gunicorn's master starts a new one in its place."""
    os.kill(pid, signal.SIGTERM)
    assert wait_for(lambda: not Path(f"/proc/{pid}").exists(), timeout=30), f"{pid} still runs"
