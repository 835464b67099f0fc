"""Slow clients against gunicorn on loopback: what an honest visitor sees while N connections
trickle their requests a byte at a time.

Why: one gunicorn worker serves every visitor of an instance. A connection that sends its request
slowly holds whatever the worker class gives it (a thread of gthread's fixed pool, a greenlet of
gevent's) for as long as it trickles, and nothing in HTTP/1.1 stops a client from sending a byte
every few seconds. This measures, per server set-up and per kind of slow client, the latency of a
page load (`GET /`) and of a real Mesop click (bench/protocol.py, on /database) started once a
second on fresh connections while the slow connections are held open, and the worker's resident
memory. Every cell gets a fresh server and stops by itself.

Kinds of slow client, each `--connections` of them, one byte every 2-5 s, reconnecting when the
server closes one (as a hostile client would):

- `headers`: the request line and headers, never finished;
- `body`: a POST to /__ui__ with complete headers, a Content-Length of 100 kB, then its body;
- `body-over-cap`: the same, declaring one byte more than GALLERY_MAX_REQUEST_BYTES;
- `reader`: four GETs of Mesop's script bundle at once (703 kB each as Mesop sends it, gzipped;
  pipelined, since one answer fits in the kernel's socket buffers), with a 4,096-byte receive
  buffer, never read;
- `none`: no slow client (the honest figures without an attack);
- `busy`: no slow client, but two visitors adding the 12 samples to /database over and over
  (about a second of CPU each): what a worker class's scheduling costs the others.

    .venv/bin/python -m bench.slow_clients                         # every set-up and kind
    .venv/bin/python -m bench.slow_clients --setups gthread-8 --kinds headers --seconds 10
    .venv/bin/python -m bench.slow_clients --smoke                 # under 30 s (the tests)
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import itertools
import json
import os
import random
import selectors
import socket
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.config import settings
from bench.load import prepare, rss_by_role, shared_gallery
from bench.protocol import Clickable, ProtocolError, Session
from bench.results import RESULTS, finish
from tests.harness import Server, serve

KINDS = ("none", "headers", "body", "body-over-cap", "reader", "busy")
PAGE = "/database"  # the honest click: a thumbnail on a shared /database gallery (2 kB a click)
BODY_BYTES = 100_000  # what a `body` slow client declares: a /__ui__ request of ordinary size
READER_BUFFER = 4096  # a `reader`'s receive buffer: the server's send blocks once it is full
BUNDLE = "/prod_bundle.js"  # Mesop's script bundle (3 MB; Mesop always sends it gzipped, 703 kB)
READER_REQUESTS = 4  # pipelined: with one, the answer fit in the kernel's buffers (measured)
NO_BODY_DEADLINE = {"GALLERY_REQUEST_BODY_SECONDS": "86400"}  # the app before its body deadline


@dataclass(frozen=True)
class Setup:
    """A server set-up: gunicorn's flags over gunicorn.conf.py's, and the app's environment."""

    name: str
    gunicorn_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    note: str = ""


def gthread(threads: int, *more: str) -> tuple[str, ...]:
    return ("--worker-class", "gthread", "--threads", str(threads), *more)


GEVENT = ("--worker-class", "gevent", "--threads", "1")
# gunicorn's own limits, tight: idle keep-alive, connections per worker, header sizes.
LIMITS = ("--keep-alive", "1", "--worker-connections", "64", "--limit-request-line", "512",
          "--limit-request-fields", "20", "--limit-request-field_size", "1024")  # fmt: skip
SETUPS = {
    s.name: s
    for s in (
        Setup("gthread-8", gthread(8), NO_BODY_DEADLINE, "the old defaults"),
        Setup("gthread-8-limits", gthread(8, *LIMITS), NO_BODY_DEADLINE, "gunicorn's limits"),
        Setup("gthread-64", gthread(64), NO_BODY_DEADLINE, "more threads"),
        Setup("gevent", GEVENT, NO_BODY_DEADLINE, "a greenlet per connection"),
        Setup("gthread-8+deadline", gthread(8), {}, "the app's body deadline"),
        Setup("gthread-64+deadline", gthread(64), {}, "more threads and the body deadline"),
        Setup("gevent+deadline", GEVENT, {}, "gevent and the body deadline"),
        Setup(
            "gthread-64+deadline+arenas-2",
            gthread(64),
            {"MALLOC_ARENA_MAX": "2"},
            "glibc's malloc arenas capped at 2 (the readers' memory stays the same)",
        ),
        Setup("defaults", (), {}, "gunicorn.conf.py and the app as they ship"),
    )
}


def opening(kind: str, port: int) -> bytes:
    """What a slow client sends at once, on connecting."""
    host = f"127.0.0.1:{port}"
    if kind in ("body", "body-over-cap"):
        length = BODY_BYTES if kind == "body" else settings.max_request_bytes + 1
        return (
            f"POST /__ui__ HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n"
            f"Content-Type: text/plain\r\nContent-Length: {length}\r\n\r\n"
        ).encode()
    if kind == "reader":
        return f"GET {BUNDLE} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() * READER_REQUESTS
    return b""


def trickle(kind: str, port: int) -> Iterator[bytes]:
    """What it then sends, a byte at a time: headers that never end, or a body (base64 text)."""
    if kind == "headers":
        start = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()
        stream = itertools.chain(start, itertools.cycle(b"X-Slow: 1\r\n"))
    else:
        stream = itertools.repeat(ord("A"))
    return (bytes([b]) for b in stream)


@dataclass
class Connection:
    sock: socket.socket
    source: Iterator[bytes]
    open: bool = True


class SlowClients:
    """`count` slow connections of one kind, driven by one thread: each sends a byte every
    `period` seconds (uniformly at random), and is replaced when the server closes or answers it.
    `stop()` closes them all; the thread also stops by itself after `limit` seconds."""

    def __init__(
        self,
        port: int,
        kind: str,
        count: int,
        period: tuple[float, float] = (2.0, 5.0),
        limit: float = 600,
    ) -> None:
        self.port, self.kind, self.count, self.period = port, kind, count, period
        self.stats: Counter = Counter()
        self._stop = threading.Event()
        self._limit = limit
        self._random = random.Random(0)
        self._selector = selectors.DefaultSelector()
        self._due: list[tuple[float, int, Connection]] = []
        self._order = itertools.count()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SlowClients:
        if self.kind not in ("none", "busy"):
            for _ in range(self.count):
                self._connect(first=True)
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        for _, _, conn in self._due:
            self._close(conn)
        self._selector.close()

    def _connect(self, first: bool = False) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if self.kind == "reader":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, READER_BUFFER)
        sock.settimeout(5)
        try:
            sock.connect(("127.0.0.1", self.port))
            sock.sendall(opening(self.kind, self.port))
        except OSError:
            sock.close()
            self.stats["failed_to_connect"] += 1
            return
        sock.setblocking(False)
        self.stats["opened"] += 1
        conn = Connection(sock, trickle(self.kind, self.port))
        if self.kind == "reader":  # never reads, never sends more: just holds the reply back
            heapq.heappush(self._due, (float("inf"), next(self._order), conn))
            return
        self._selector.register(sock, selectors.EVENT_READ, conn)
        # The first byte soon (headers: a new connection's thread is then taken at once).
        wait = self._random.uniform(0, 1) if first else self._random.uniform(*self.period)
        heapq.heappush(self._due, (time.monotonic() + wait, next(self._order), conn))

    def _close(self, conn: Connection) -> None:
        if conn.open:
            conn.open = False
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(conn.sock)
            conn.sock.close()

    def _lost(self, conn: Connection, how: str) -> None:
        """The server closed or answered this connection: count how, and open another."""
        self.stats[how] += 1
        self._close(conn)
        if not self._stop.is_set():
            self._connect()

    def _run(self) -> None:
        ends = time.monotonic() + self._limit
        while not self._stop.is_set() and time.monotonic() < ends:
            wait = min(0.5, max(0.0, self._due[0][0] - time.monotonic())) if self._due else 0.5
            for key, _ in self._selector.select(wait):
                conn = key.data
                try:
                    data = conn.sock.recv(4096)
                except OSError:
                    data = b""
                self._lost(conn, "answered_by_server" if data else "closed_by_server")
            now = time.monotonic()
            while self._due and self._due[0][0] <= now:
                _, _, conn = heapq.heappop(self._due)
                if not conn.open:
                    continue
                try:
                    self.stats["bytes_sent"] += conn.sock.send(next(conn.source))
                except OSError:
                    self._lost(conn, "closed_by_server")
                    continue
                again = now + self._random.uniform(*self.period)
                heapq.heappush(self._due, (again, next(self._order), conn))
            self._due = [d for d in self._due if d[2].open]
            heapq.heapify(self._due)


class BusyNeighbours:
    """`count` honest visitors adding the 12 samples and clearing them, over and over, until
    `stop()`: CPU-bound clicks that other requests must share the worker with."""

    def __init__(self, url: str, count: int = 2) -> None:
        self.url = url
        self.stats: Counter = Counter()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(count)]

    def __enter__(self) -> BusyNeighbours:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _run(self) -> None:
        session = Session(self.url, PAGE, timeout=60)
        try:
            session.init()
            add, clear = session.find("Add sample images")[0], session.find("Clear gallery")[0]
            while not self._stop.is_set():
                session.click(add)
                session.click(clear)
                self.stats["adds"] += 1
        except (OSError, ProtocolError, IndexError) as failure:
            self.stats[f"failed: {type(failure).__name__}"] += 1
        finally:
            session.close()


@dataclass
class Probes:
    """What the honest visitor saw: latencies in ms and failures, for page loads and clicks."""

    page_ms: list[float] = field(default_factory=list)
    click_ms: list[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def load_page(url: str, timeout: float) -> float:
    """GET / on a new connection, read whole; its time in seconds."""
    started = time.perf_counter()
    host, port = url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=timeout)
    try:
        connection.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
    finally:
        connection.close()
    if not reply.startswith(b"HTTP/1.1 200"):
        raise ProtocolError(f"GET /: {reply[:40]!r}")
    return time.perf_counter() - started


def click(session: Session, target: Clickable) -> float:
    """One select click on a new connection (a visitor whose connection the attack cannot share)."""
    session.close()
    return session.click(target).seconds


def probe(kind: str, call, probes: Probes) -> None:
    try:
        seconds = call()
    except (OSError, ProtocolError) as failure:
        with probes.lock:
            probes.failures[f"{kind}: {type(failure).__name__}"] += 1
        return
    with probes.lock:
        (probes.page_ms if kind == "page" else probes.click_ms).append(seconds * 1000)


def visitors(url: str, count: int, timeout: float) -> list[tuple[Session, Clickable]]:
    """`count` visitors of one shared /database gallery, each with its page open (untimed)."""
    link = shared_gallery(url, PAGE)
    found = []
    for _ in range(count):
        session, targets = prepare(url, PAGE, link)
        session.connection.timeout = timeout
        session.close()
        found.append((session, targets[0]))
    return found


def honest(url: str, seconds: float, interval: float, timeout: float, ready: list) -> Probes:
    """A page load and a click started every `interval` s for `seconds`, each in its own thread
    (so that one stuck request does not hide the next); waits for them (at most `timeout`)."""
    probes = Probes()
    threads = []
    started = time.monotonic()
    for n, (session, target) in enumerate(ready):
        wake = started + n * interval
        time.sleep(max(0.0, wake - time.monotonic()))
        if time.monotonic() > started + seconds:
            break
        for kind, call in (
            ("page", lambda: load_page(url, timeout)),
            ("click", lambda s=session, t=target: click(s, t)),
        ):
            thread = threading.Thread(target=probe, args=(kind, call, probes), daemon=True)
            thread.start()
            threads.append(thread)
    for thread in threads:
        thread.join(timeout=max(0.0, started + seconds + timeout + 5 - time.monotonic()))
    return probes


def worker_mb(server: Server) -> float:
    return round(rss_by_role(server.process.pid)["workers"] / 2**20, 1)


def summary(ms: list[float]) -> tuple[float | None, float | None]:
    return (round(statistics.median(ms), 1), round(max(ms), 1)) if ms else (None, None)


def run_cell(
    server: Server,
    kind: str,
    connections: int,
    seconds: float,
    settle: float,
    interval: float,
    timeout: float,
) -> dict:
    """`connections` slow clients of `kind` for `settle` + `seconds` s, honest probes meanwhile."""
    port = int(server.url.rsplit(":", 1)[1])
    ready = visitors(server.url, int(seconds / interval) + 1, timeout)
    before = worker_mb(server)
    load_average = round(os.getloadavg()[0], 1)
    peak = before
    limit = settle + seconds + timeout + 30
    attack = BusyNeighbours(server.url) if kind == "busy" else None
    with attack or SlowClients(port, kind, connections, limit=limit) as slow:
        time.sleep(settle)  # longer than gthread's 5 s wait for a new connection's first byte
        held = dict(slow.stats)
        done: list[Probes] = []
        probing = threading.Thread(
            target=lambda: done.append(honest(server.url, seconds, interval, timeout, ready))
        )
        probing.start()
        while probing.is_alive():
            peak = max(peak, worker_mb(server))
            probing.join(timeout=1)
        probes = done[0]
        stats = dict(slow.stats)
    page_p50, page_max = summary(probes.page_ms)
    click_p50, click_max = summary(probes.click_ms)
    failures = dict(probes.failures)
    return {
        "kind": kind,
        "slow_connections": 0 if kind in ("none", "busy") else connections,
        "busy_adds": stats.get("adds", 0),
        "page_ms_p50": page_p50,
        "page_ms_max": page_max,
        "page_failures": sum(v for k, v in failures.items() if k.startswith("page")),
        "click_ms_p50": click_p50,
        "click_ms_max": click_max,
        "click_failures": sum(v for k, v in failures.items() if k.startswith("click")),
        "failure_kinds": failures,
        "probes": len(probes.page_ms) + len(probes.click_ms) + sum(failures.values()),
        "worker_rss_mb_before": before,
        "worker_rss_mb_peak": peak,
        "slow_opened": stats.get("opened", 0),
        "slow_closed_by_server": stats.get("closed_by_server", 0),
        "slow_answered_by_server": stats.get("answered_by_server", 0),
        "slow_closed_before_probes": held.get("closed_by_server", 0)
        + held.get("answered_by_server", 0),
        "load_average": load_average,
    }


def cell_key(row: dict) -> tuple[str, str, int]:
    return row["setup"], row["kind"], row["slow_connections"]


def run(
    setups: list[Setup],
    kinds: list[str],
    connections: int,
    seconds: float,
    settle: float,
    interval: float,
    timeout: float,
    scratch: Path,
    out: Path | None,
    append: bool = False,
) -> dict:
    """Every set-up × kind; the results are written after each cell (a long run that stops
    keeps what it measured). With `append`, cells measured now replace the same cells of `out`
    and its other cells stay."""
    meta = {
        "server": "gunicorn on loopback, a fresh server per cell, 1 worker; gunicorn.conf.py "
        "with each set-up's flags over it",
        "slow_clients": f"one byte every 2-5 s per connection, reconnecting when closed; body "
        f"kinds declare {BODY_BYTES} B or GALLERY_MAX_REQUEST_BYTES + 1",
        "honest": f"a GET / and a {PAGE} select click started every {interval} s for {seconds} s "
        f"on new connections, after {settle} s of attack; a request unanswered after {timeout} s "
        "fails (TimeoutError)",
    }
    earlier = json.loads(out.read_text())["rows"] if append and out and out.exists() else []
    rows: list[dict] = []
    result: dict = {}
    for setup in setups:
        for kind in kinds:
            env = {**setup.env, "GCS_EMULATOR_DATA_DIR": str(scratch / f"gcs-{time.time_ns()}")}
            with serve(
                "gunicorn", env=env, gunicorn_args=setup.gunicorn_args, log_dir=scratch
            ) as server:
                cell = run_cell(server, kind, connections, seconds, settle, interval, timeout)
            args = list(setup.gunicorn_args)
            row = {"setup": setup.name, "note": setup.note, "gunicorn_args": args,
                   "env": setup.env, **cell}  # fmt: skip
            rows.append(row)
            print(
                f"slow {setup.name:20} {kind:13} page p50 {row['page_ms_p50']} max "
                f"{row['page_ms_max']} ms fail {row['page_failures']}; click p50 "
                f"{row['click_ms_p50']} max {row['click_ms_max']} ms fail "
                f"{row['click_failures']}; worker {row['worker_rss_mb_before']}->"
                f"{row['worker_rss_mb_peak']} MB; slow closed {row['slow_closed_by_server']} "
                f"answered {row['slow_answered_by_server']}",
                flush=True,
            )
            new = {cell_key(r) for r in rows}
            kept = [r for r in earlier if cell_key(r) not in new]
            result = finish(meta, kept + rows, out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setups", nargs="+", choices=list(SETUPS), default=list(SETUPS))
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15, help="probing time per cell")
    parser.add_argument("--settle", type=float, default=7, help="attack time before probing")
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=15, help="an honest request's bound")
    parser.add_argument("--out", type=Path, default=RESULTS / "slow_clients.json")
    parser.add_argument("--append", action="store_true", help="keep --out's other cells")
    parser.add_argument("--smoke", action="store_true", help="the shipped defaults, 2 kinds, 20 s")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-slow-"))
    if args.smoke:
        run([SETUPS["defaults"]], ["headers", "body"], 10, 2, 6, 1.0, 5, scratch,
            args.out if args.out != RESULTS / "slow_clients.json" else None)  # fmt: skip
        return
    setups = [SETUPS[name] for name in args.setups]
    run(setups, args.kinds, args.connections, args.seconds, args.settle, args.interval,
        args.timeout, scratch, args.out, args.append)  # fmt: skip


if __name__ == "__main__":
    main()
