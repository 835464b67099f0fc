"""Throughput and latency under concurrent users, against gunicorn on loopback, per worker class.

Each cell is one headless Locust run of bench/locustfile.py (one Locust process): every user is
a `bench.protocol.Session` (a browser tab, minus the browser) that opens the page, adds the 12
sample images once (untimed set-up), then, once every user is set up, clicks two thumbnails in
turn as fast as the server answers for `--seconds` (a closed loop, no think time: the figures are
the most this server does, not a traffic forecast). The counter page (bench/counter_app.py) is
the floor: the same loop on Mesop's smallest click. Every cell gets a fresh server, so no cell
inherits another's galleries, and stops by itself.

The load generator shares the machine with the server: its CPU use is measured and reported next
to the server's, so a reader can tell a server limit from a client limit.

    .venv/bin/python -m bench.load                                  # the full matrix, ~10 min
    .venv/bin/python -m bench.load --patterns /gcs --users 50 --configs gthread:1 --seconds 10
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from app.patterns import PATHS
from bench.protocol import Clickable, ProtocolError, Session
from bench.results import RESULTS, finish
from tests.harness import ROOT, Server, serve

PATTERNS = ("counter", *PATHS)
COUNTER_APP = "bench.counter_app:app"
# Threads of a gthread cell unless its config names others ("gthread:1:64"): 8, the requests
# Cloud Run lets into an instance at once (docs/deploy.md, --concurrency), which these results
# were measured with; gunicorn.conf.py's default is higher, for slow clients (docs/deploy.md).
THREADS = 8
SETUP_SECONDS = 90  # bound on a cell's set-up; users not ready by then do not take part
CLICK_TIMEOUT = 30  # a click unanswered this long counts as an error (TimeoutError)
# 100 users' galleries of 12 samples hold ~350 MB on /memory: above the default 256 MB cap, which
# would evict galleries mid-run. The load server gets room for them; the cap is measured elsewhere
# (bench/memory_cap.py).
LOAD_ENV = {"MEMORY_MAX_BYTES": str(1 << 30)}
# /gcs users open one gallery by its link: filling a gallery uploads to the emulator (about a
# second each under load), which would make set-up, not the measured clicks, the run's length. A
# select click costs the same on a shared gallery (listings are cached per gallery and version).
# /memory and /base64 users each fill their own (a tenth of a second): their state is per user.
SHARED_LINK = ("/gcs",)


@dataclass(frozen=True)
class Config:
    """A gunicorn set-up: worker class, number of workers and (gthread) threads per worker."""

    worker_class: str
    workers: int
    threads: int = THREADS

    @classmethod
    def parse(cls, text: str) -> Config:
        """Reads "gthread", "sync:2" or "gthread:1:64" (class, workers, threads)."""
        worker_class, _, rest = text.partition(":")
        workers, _, threads = rest.partition(":")
        return cls(worker_class, int(workers or 1), int(threads or THREADS))

    def gunicorn_args(self) -> tuple[str, ...]:
        # Threads named for every class: gunicorn.conf.py's default would otherwise turn a
        # "sync" worker into a gthread one (gunicorn does that when threads > 1).
        return ("--worker-class", self.worker_class, "--threads", str(self.thread_count))

    @property
    def thread_count(self) -> int:
        return self.threads if self.worker_class == "gthread" else 1

    @property
    def label(self) -> str:
        threads = f"×{self.threads} threads" if self.worker_class == "gthread" else ""
        return f"{self.worker_class} {self.workers}w{threads}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live descendants (gunicorn's master, workers and
    the embedded emulator)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def children(pid: int) -> list[int]:
    """Every live descendant: the emulator runs under its supervisor, a child of the master."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            direct = [int(c) for c in task.read_text().split()]
        except OSError:
            continue
        found += [each for child in direct for each in (child, *children(child))]
    return found


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its live descendants, from /proc/<pid>/status."""
    return sum(rss_by_role(pid).values())


def embedded_storage(argv: list[bytes]) -> bool:
    """fake-gcs-server, or one of the two small Python processes beside it (app/gcs/)."""
    return b"fake-gcs" in argv[0] or any(
        arg.endswith((b"/supervisor.py", b"/browser_proxy.py")) for arg in argv[1:2]
    )


def rss_by_role(pid: int) -> dict[str, int]:
    """Resident memory of gunicorn's master, its workers (summed) and the embedded emulator."""
    roles = {"master": 0, "workers": 0, "emulator": 0}
    for proc in [pid, *children(pid)]:
        try:
            status = Path(f"/proc/{proc}/status").read_text()
            argv = Path(f"/proc/{proc}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        role = "master" if proc == pid else "emulator" if embedded_storage(argv) else "workers"
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                roles[role] += int(line.split()[1]) * 1024
    return roles


def prepare(url: str, pattern: str, link: str = "") -> tuple[Session, list[Clickable]]:
    """A user at the start of the measured loop: page open, gallery filled, click targets known.
    With `link` (a gallery id), the user opens that gallery by its address instead of filling
    its own, as visitors of a shared link do."""
    if pattern == "counter":
        session = Session(url, "/", timeout=CLICK_TIMEOUT)
        session.init()
        return session, session.find("Count")
    query = {"gallery": link} if link else None
    session = Session(url, pattern, query=query, timeout=CLICK_TIMEOUT)
    session.init()
    if not link:
        session.click(session.find("Add sample images")[0])
        session.refresh_tree()
    thumbs = session.find("Thumbnail")
    if len(thumbs) < 2:
        raise ProtocolError(f"{pattern}: expected thumbnails after adding samples, got {thumbs}")
    return session, [thumbs[0], thumbs[-1]]  # alternate, so every click changes the selection


def shared_gallery(url: str, pattern: str) -> str:
    """One gallery of 12 samples, made by a first visitor; its id, for the others' links."""
    session, _ = prepare(url, pattern)
    session.close()
    return session.state_value("gallery_id")


def locust_args(pattern: str, link: str = "") -> list[str]:
    """The Mesop user's options (bench/locustfile.py) for one pattern."""
    if pattern == "counter":
        return ["--mesop-path", "/", "--mesop-setup", "", "--mesop-click", "Count"]
    args = ["--mesop-path", pattern, "--mesop-click", "Thumbnail"]
    if link:
        return [*args, "--mesop-query", f"gallery={link}", "--mesop-setup", ""]
    return [*args, "--mesop-setup", "Add sample images"]


class Sampler(threading.Thread):
    """CPU seconds of the server's process tree and of the load generator, four times a second,
    with wall-clock stamps: the window's share is read off afterwards."""

    def __init__(self, server_pid: int, client_pid: int) -> None:
        super().__init__(daemon=True)
        self.pids = (server_pid, client_pid)
        self.samples: list[tuple[float, float, float]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.samples.append((time.time(), *map(cpu_seconds, self.pids)))
            self.done.wait(0.25)

    def between(self, start: float, end: float) -> tuple[float, float]:
        """CPU seconds per second of (server, client) from the samples nearest the bounds."""
        first = min(self.samples, key=lambda x: abs(x[0] - start))
        last = min(self.samples, key=lambda x: abs(x[0] - end))
        wall = max(last[0] - first[0], 1e-9)
        return (last[1] - first[1]) / wall, (last[2] - first[2]) / wall


def run_locust(
    url: str, extra: list[str], users: int, seconds: float, scratch: Path, server_pid: int
) -> dict:
    """One headless Locust run of bench/locustfile.py: `users` users, set up, then `seconds` of
    clicks; Locust's CSV row for the clicks, the locustfile's summary and the CPU it took."""
    prefix = scratch / f"locust-{time.monotonic_ns()}"
    summary_path = prefix.with_suffix(".json")
    command = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "bench/locustfile.py"), "--headless",
        "--host", url, "-u", str(users), "-r", str(users), "--csv", str(prefix), "--only-summary",
        "-t", f"{int(SETUP_SECONDS + seconds + CLICK_TIMEOUT)}s", "--loglevel", "WARNING",
        "--mesop-seconds", str(seconds), "--mesop-summary", str(summary_path),
        "--mesop-timeout", str(CLICK_TIMEOUT), "--mesop-setup-timeout", str(SETUP_SECONDS),
        *extra,
    ]  # fmt: skip
    load_average = round(os.getloadavg()[0], 1)  # other work on the machine, for the reader
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as locust:  # fmt: skip
        sampler = Sampler(server_pid, locust.pid)
        sampler.start()
        try:
            output, _ = locust.communicate(timeout=SETUP_SECONDS + seconds + 2 * CLICK_TIMEOUT)
        except subprocess.TimeoutExpired:
            locust.kill()  # a run that does not stop by itself must not hang the benchmark
            output, _ = locust.communicate()
        finally:
            sampler.done.set()
            sampler.join()
    if not summary_path.exists():
        raise RuntimeError(f"locust wrote no summary (exit {locust.returncode}):\n{output[-2000:]}")
    summary = json.loads(summary_path.read_text())
    with open(f"{prefix}_stats.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["Name"].startswith("click: ")]
    row = rows[0] if rows else {"50%": None, "95%": None}  # no click at all: every set-up failed
    start, _ = summary.pop("window")
    # The clicks started in the window, over the time until the last was answered (see the
    # locustfile's summary): the rate, also when a click takes seconds.
    window = summary["clicks_seconds"] or summary["window_seconds"] or seconds
    server_cpu, client_cpu = sampler.between(start, start + window) if start else (0.0, 0.0)
    clicks = summary["clicks_in_window"]
    errors = summary["errors"]
    return {
        "users": users,
        "active_users": summary["users_ready"],
        "seconds": seconds,
        "setup_seconds": summary["setup_seconds"],
        "clicks": clicks,
        "throughput_rps": round(clicks / window, 1),
        "latency_ms_p50": float(row["50%"]) if clicks else None,
        "latency_ms_p95": float(row["95%"]) if clicks else None,
        "errors": sum(errors.values()) + summary["setup_failures"],
        "error_kinds": errors,
        "state_resent": summary["state_resent"],
        "process_switches": summary["process_switches"],
        "processes_answering": summary["processes_answering"],
        "bytes_up_per_click": round(summary["bytes_up"] / clicks) if clicks else None,
        "bytes_down_per_click": round(summary["bytes_down"] / clicks) if clicks else None,
        "server_cpu_cores": round(server_cpu, 2),
        "client_cpu_cores": round(client_cpu, 2),
        "load_average": load_average,
    }


def run_cell(
    server: Server, pattern: str, users: int, seconds: float, scratch: Path,
    affinity: str = "pinned",
) -> dict:  # fmt: skip
    """`users` Locust users on `pattern` for `seconds` (after an untimed, bounded set-up)."""
    link = shared_gallery(server.url, pattern) if pattern in SHARED_LINK else ""
    extra = [*locust_args(pattern, link), "--mesop-affinity", affinity]
    row = run_locust(server.url, extra, users, seconds, scratch, server.process.pid)
    return {
        "pattern": pattern,
        "affinity": affinity,
        **row,
        "server_rss_mb_after": round(rss_bytes(server.process.pid) / 2**20, 1),
    }


@contextmanager
def server_for(
    pattern: str, config: Config, scratch: Path, extra_env: dict[str, str] | None = None
) -> Iterator[Server]:
    extra = LOAD_ENV if extra_env is None else extra_env
    env = {**extra, "GCS_EMULATOR_DATA_DIR": str(scratch / f"gcs-{time.monotonic_ns()}")}
    with serve(
        "gunicorn",
        env=env,
        workers=config.workers,
        gunicorn_args=config.gunicorn_args(),
        wsgi_app=COUNTER_APP if pattern == "counter" else "app.main:app",
        log_dir=scratch,
    ) as server:
        yield server


def cells(
    patterns: list[str], users: list[int], configs: list[Config], matrix_users: int
) -> list[tuple[str, int, Config]]:
    """Every pattern at every user count on the first config (the Dockerfile's); then the worker
    classes on the patterns that scale across workers (counter, /gcs) at `matrix_users` users."""
    plan = [(p, u, configs[0]) for p in patterns for u in users]
    for config in configs[1:]:
        plan += [(p, matrix_users, config) for p in patterns if p in ("counter", "/gcs")]
    return plan


def run(
    patterns: list[str],
    users: list[int],
    configs: list[Config],
    seconds: float,
    scratch: Path,
    matrix_users: int = 50,
    out: Path | None = RESULTS / "load.json",
) -> dict:
    rows = []
    for pattern, count, config in cells(patterns, users, configs, matrix_users):
        with server_for(pattern, config, scratch) as server:
            row = {**run_cell(server, pattern, count, seconds, scratch), **asdict(config)}
        row["threads"] = config.thread_count
        rows.append(row)
        print(
            f"load {pattern:8} {count:3} users {config.label:22} "
            f"{row['throughput_rps']:7.1f} clicks/s p50 {row['latency_ms_p50']} ms "
            f"p95 {row['latency_ms_p95']} ms errors {row['errors']} "
            f"cpu server {row['server_cpu_cores']} client {row['client_cpu_cores']} "
            f"(set-up {row['setup_seconds']} s)",
            flush=True,
        )
    meta = {
        "server": "gunicorn on loopback, a fresh server per cell; gthread with "
        f"{THREADS} threads per worker unless the row says otherwise; MEMORY_MAX_BYTES=1 GiB",
        "client": "Locust (bench/locustfile.py, headless, one process) on the same machine: "
        "closed loop, no think time, each user alternating two thumbnail clicks "
        "(counter: its button) after adding 12 samples; /gcs users share one gallery "
        "by its link; p50/p95 from Locust's CSV",
        "seconds_per_cell": seconds,
    }
    return finish(meta, rows, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patterns", nargs="+", default=list(PATTERNS))
    parser.add_argument("--users", nargs="+", type=int, default=[10, 50, 100])
    parser.add_argument(
        "--configs",
        nargs="+",
        type=Config.parse,
        default=[Config.parse(c) for c in DEFAULT_CONFIGS],
        help="worker_class:workers[:threads]; the first is used for every pattern and user count",
    )
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--out", type=Path, default=RESULTS / "load.json")
    args = parser.parse_args()
    import tempfile

    run(args.patterns, args.users, args.configs, args.seconds,
        Path(tempfile.mkdtemp(prefix="bench-load-")), out=args.out)  # fmt: skip


DEFAULT_CONFIGS = ("gthread:1", "sync:1", "sync:2", "gthread:2", "gevent:1", "gevent:2")

if __name__ == "__main__":
    main()
