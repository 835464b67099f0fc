"""Start the app the way users do (gunicorn, or the `mesop` CLI) on a free loopback port.

Shared by the e2e tests, the benchmarks and the screenshot script, so all of them measure the same
server set-up. The server is polled over HTTP until it answers, and always stopped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.gcs.emulator import die_with_parent

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen
    log: Path


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"server at {url} did not answer in {timeout:.0f} s:\n{log.read_text()[-3000:]}"
    )


@contextlib.contextmanager
def serve(
    kind: str = "gunicorn",
    env: Mapping[str, str] | None = None,
    workers: int = 1,
    log_dir: Path | None = None,
    gunicorn_args: tuple[str, ...] = (),
    wsgi_app: str = "app.main:app",
    cwd: Path = ROOT,
) -> Iterator[Server]:
    """kind: "gunicorn" (production mode) or "mesop" (the CLI, in its debug mode).
    gunicorn_args: more flags (the benchmarks' worker classes); wsgi_app: what gunicorn serves;
    cwd: the project to serve (a copy, for tests that edit it)."""
    port = free_port()
    if kind == "gunicorn":
        command = [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            *gunicorn_args,
            wsgi_app,
        ]
    elif kind == "mesop":
        command = [str(BIN / "mesop"), "app/main.py", f"--port={port}"]
    else:
        raise ValueError(f"unknown server kind {kind!r}")
    log_dir = log_dir or Path(os.environ.get("TMPDIR", "/tmp"))
    # Each server its own /database file, unless the test names a database.
    env = {"DATABASE_URL": f"sqlite:///{log_dir}/gallery-{port}.sqlite3", **(env or {})}
    with run(command, port, env, log_dir / f"server-{kind}-{port}.log", cwd) as server:
        yield server


def _in_child() -> None:  # between fork and exec
    """If this process is killed outright (`timeout`, SIGKILL), take the server along; and give
    the server Ctrl-C as a terminal would: a shell that starts these tests in the background
    (`cmd &` without job control) hands them SIGINT ignored, which Python then keeps ignoring."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def run(
    command: Sequence[str],
    port: int,
    env: Mapping[str, str] | None,
    log: Path,
    cwd: Path = ROOT,
) -> Iterator[Server]:
    """Run a server command (listening on loopback `port`) until it answers; stop it after."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
            preexec_fn=_in_child,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log)
        yield Server(url=url, process=process, log=log)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_module(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m <args>` from the repository root (the benchmarks' smoke modes); asserts it
    succeeded, showing the end of its output if not."""
    run = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run
