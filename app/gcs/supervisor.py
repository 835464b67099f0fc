"""Keep the embedded emulator running: fake-gcs-server and its browser door, restarted if they die.

Why a process of its own: gunicorn's master forks its workers, so a watching thread there would be
forked into every worker (and a thread alive at fork time is a hazard of its own); workers that
restarted the emulator themselves would race each other. This small process starts both, waits
until they answer, and from then on restarts whichever dies, on the same ports and over the same
data folder: signed URLs already handed out keep working and stored objects are still there. A
child that keeps dying is restarted after a growing pause (0.5 s, doubling, at most 30 s), so a
binary that cannot start at all costs a line in the log every 30 s, not a busy loop. Each restart
is logged once, in one line, on stderr (the app's log).

It dies with its parent (the app) and takes its children along. Standalone on purpose (no app
imports): `python supervisor.py --binary PATH --port P --data-dir DIR --public-url URL
[--door-port Q --bucket NAME [--upload-key KEY --max-upload-bytes N]]`. It prints one line on
stdout, `ready` or why it could not start, and nothing more on stdout after that.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import platform
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

START_TIMEOUT = 15.0  # seconds for a child to answer at start-up
STABLE = 10.0  # a child that ran this long had started fine: restart it at once
FIRST_PAUSE = 0.5  # then double the pause after each quick death...
MAX_PAUSE = 30.0  # ...up to this
POLL = 0.1  # how often the children are looked at: a restart starts within this of a death


def die_with_parent() -> None:  # runs in a child between fork and exec
    """Ask Linux to send this process SIGTERM when its parent dies: no orphans."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S %z")
    print(f"[{stamp}] [{os.getpid()}] [WARNING] gcs supervisor: {message}", file=sys.stderr)


def how_it_ended(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
        return f"was killed by signal {-code}"
    return f"exited with code {code}"


class Child:
    """One supervised program: its command, its process, and when to start it again."""

    def __init__(self, name: str, command: list[str], probe: str) -> None:
        self.name, self.command, self.probe = name, command, probe
        self.process: subprocess.Popen | None = None
        self.started = 0.0
        self.pause = 0.0
        self.restart_at: float | None = None

    def spawn(self) -> None:
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # never this process's stdout: the app reads one line there
            preexec_fn=die_with_parent if platform.system() == "Linux" else None,
        )

    def wait_until_ready(self) -> str:
        """'' once the child answers HTTP at its probe URL, else why not."""
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return f"{self.name} {how_it_ended(self.process.returncode)}"
            try:
                with urllib.request.urlopen(self.probe, timeout=1):
                    pass
            except urllib.error.HTTPError:
                pass  # an answer all the same (the door refuses the probe: it is not signed)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
                continue
            if self.process.poll() is None:  # the answer came from our child, not a squatter
                return ""
        return f"{self.name} did not answer at {self.probe} within {START_TIMEOUT:.0f} s"

    def check(self, now: float) -> None:
        """Restart the child if it has died, after a pause that grows while it keeps dying."""
        if self.restart_at is None:
            assert self.process is not None
            code = self.process.poll()
            if code is None:
                return
            ran = now - self.started
            self.pause = 0.0 if ran >= STABLE else min(max(2 * self.pause, FIRST_PAUSE), MAX_PAUSE)
            self.restart_at = now + self.pause
            log(
                f"{self.name} (pid {self.process.pid}) {how_it_ended(code)} after {ran:.1f} s; "
                f"restarting it in {self.pause:.1f} s"
            )
        if now >= self.restart_at:
            self.restart_at = None
            try:
                self.spawn()
            except OSError as error:  # the binary is gone: try again later, as for a death
                log(f"{self.name} cannot start ({error.strerror})")
                self.process = None
                self.started = now
                self.pause = min(max(2 * self.pause, FIRST_PAUSE), MAX_PAUSE)
                self.restart_at = now + self.pause

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def children(args: argparse.Namespace) -> list[Child]:
    url = f"http://127.0.0.1:{args.port}"
    emulator = [
        args.binary,
        *("-scheme", "http", "-host", "127.0.0.1", "-port", str(args.port)),
        *("-backend", "filesystem", "-filesystem-root", args.data_dir),
        # Signed URLs are served only when the browser's Host matches the public host.
        *("-public-host", urlsplit(args.public_url).netloc, "-external-url", args.public_url),
        *("-log-level", "warn"),
        # Browsers upload with a signed size range header: without the door in front (an
        # emulator the app does not run), the emulator's own CORS answer must allow it.
        *("-cors-headers", "x-goog-content-length-range"),
    ]
    found = [Child("fake-gcs-server", emulator, f"{url}/storage/v1/b")]
    if args.door_port:
        door = str(Path(__file__).with_name("browser_proxy.py"))
        # The data folder rides along only so that `ps` shows which emulator this door is for.
        command = [sys.executable, door, str(args.door_port), url, args.bucket, args.data_dir]
        if args.upload_key:  # uploads: the app's public key checks their signatures
            command += ["--upload-key", args.upload_key]
            command += ["--max-upload-bytes", str(args.max_upload_bytes)]
        probe = f"http://127.0.0.1:{args.door_port}/"
        found.append(Child("the emulator's browser door", command, probe))
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--public-url", required=True)
    parser.add_argument("--door-port", type=int, default=0)
    parser.add_argument("--bucket", default="")
    parser.add_argument("--upload-key", default="")
    parser.add_argument("--max-upload-bytes", type=int, default=0)
    args = parser.parse_args(argv)

    stopping = ready = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        if not ready:  # still starting: leave now (the children are stopped on the way out)
            raise SystemExit(1)

    # SIGTERM: the app stops us, or Linux does because the app died; SIGINT: Ctrl-C in the
    # terminal reaches the whole process group, this process too; SIGHUP: the terminal closed.
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    parent = os.getppid()
    running = children(args)
    try:
        for child in running:
            child.spawn()
            if why := child.wait_until_ready():
                print(why, flush=True)
                return 1
        print("ready", flush=True)
        ready = True
        # Nothing more goes to stdout: the app has stopped reading it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        # getppid: on systems without PR_SET_PDEATHSIG, notice the app's death by polling.
        while not stopping and os.getppid() == parent:
            now = time.monotonic()
            for child in running:
                child.check(now)
            time.sleep(POLL)
        return 0
    finally:
        for child in reversed(running):
            child.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
