"""Slow clients cannot starve the app: with 50 connections trickling a byte every 2-5 s, an honest
visitor's page load and click are still answered, and a trickling body is cut off.

Against real gunicorn with the settings it ships with (gunicorn.conf.py). On the old defaults
(8 threads, no body deadline: GUNICORN_THREADS=8 GALLERY_REQUEST_BODY_SECONDS=86400) the last
test fails: the honest requests wait behind the slow ones until these give up. The bound is
generous: an honest request takes tens of milliseconds here, a starved one forever.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.exceptions import RequestTimeout

from app.request_limit import BODY_MIN_RATE, PacedSocket
from bench.load import prepare
from bench.slow_clients import SlowClients, load_page, opening
from tests.harness import Server, run_module, serve

HONEST_BOUND = 5.0  # seconds
SETTLE = 6.0  # longer than gthread's 5 s wait for a new connection's first byte


def port_of(server: Server) -> int:
    return int(server.url.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def short_deadline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    scratch = tmp_path_factory.mktemp("deadline")
    env = {"GALLERY_REQUEST_BODY_SECONDS": "2", "GCS_EMULATOR_DATA_DIR": str(scratch / "gcs")}
    with serve("gunicorn", env=env, log_dir=scratch) as server:
        yield server


def trickle_until_answered(server: Server, kind: str, limit: float = 20) -> tuple[float, bytes]:
    """Send `kind`'s headers, then a byte every 0.3 s until the server answers or closes."""
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=0.3) as sock:
        sock.sendall(opening(kind, port_of(server)))
        started = time.monotonic()
        while time.monotonic() - started < limit:
            try:
                sock.send(b"A")
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                answer = b""
            return time.monotonic() - started, answer
    return limit, b""


@pytest.mark.parametrize("kind", ["body", "body-over-cap"])
def test_a_trickling_body_is_refused_after_its_grace_time(
    short_deadline: Server, kind: str
) -> None:
    """A body a byte at a time: 408 once GALLERY_REQUEST_BODY_SECONDS (2 s here) have passed,
    whether Mesop is reading it or the request limit is discarding an oversized one."""
    seconds, answer = trickle_until_answered(short_deadline, kind)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert 2 <= seconds < 6


def test_the_deadline_ends_with_the_request(short_deadline: Server) -> None:
    """gunicorn reads a kept-alive connection's next request through the same reader: it gets
    its own socket back, so a second click after the first one's grace time is served."""
    session, targets = prepare(short_deadline.url, "/database")
    session.click(targets[0])
    time.sleep(1.5)  # within gunicorn's 2 s keep-alive; the first body's deadline has passed
    session.click(targets[-1])


def test_a_body_that_keeps_pace_is_read_and_one_that_trickles_is_not() -> None:
    """PacedSocket on a real socket pair: 40 kB at twice the minimum rate, past the grace
    time, arrives whole; a byte every 0.2 s ends at the grace time."""
    grace = 1.0
    for rate, size, expect_timeout in ((2 * BODY_MIN_RATE, 40_000, False), (5, 1_000, True)):
        ours, theirs = socket.socketpair()
        sender = threading.Thread(target=send_at, args=(theirs, rate, size), daemon=True)
        sender.start()
        paced = PacedSocket(ours, grace, BODY_MIN_RATE)
        received, started = 0, time.monotonic()
        try:
            while received < size:
                received += len(paced.recv(65536))
        except RequestTimeout:
            assert expect_timeout
            assert grace <= time.monotonic() - started < grace + 1
        else:
            assert not expect_timeout and received == size
        finally:
            ours.close()
            sender.join(timeout=30)
            theirs.close()


def send_at(sock: socket.socket, rate: float, size: int) -> None:
    """`size` bytes at `rate` bytes per second, in tenths of a second."""
    piece = max(1, int(rate / 10))
    sent = 0
    try:
        while sent < size:
            sent += sock.send(b"x" * min(piece, size - sent))
            time.sleep(piece / rate)
    except OSError:
        pass


def test_slow_clients_smoke(tmp_path: Path) -> None:
    """The benchmark's smoke mode runs and writes its rows in the documented shape."""
    out = tmp_path / "slow_clients.json"
    run_module("bench.slow_clients", "--smoke", "--out", str(out), timeout=120)
    rows = json.loads(out.read_text())["rows"]
    assert [row["kind"] for row in rows] == ["headers", "body"]
    for row in rows:
        assert row["slow_opened"] >= row["slow_connections"] > 0
        assert row["page_failures"] == row["click_failures"] == 0, row["failure_kinds"]
        assert 0 < row["page_ms_p50"] <= row["page_ms_max"]
        assert row["worker_rss_mb_peak"] >= row["worker_rss_mb_before"] > 0


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    scratch = tmp_path_factory.mktemp("slow")
    env = {"GCS_EMULATOR_DATA_DIR": str(scratch / "gcs")}
    with serve("gunicorn", env=env, log_dir=scratch) as server:
        yield server


@pytest.mark.parametrize("kind", ["headers", "body", "body-over-cap"])
def test_an_honest_visitor_is_served_while_50_slow_clients_hold_connections(
    shipped: Server, kind: str
) -> None:
    session, targets = prepare(shipped.url, "/database")
    session.connection.timeout = HONEST_BOUND
    session.close()
    with SlowClients(port_of(shipped), kind, 50) as slow:
        time.sleep(SETTLE)
        assert slow.stats["opened"] >= 50
        page = load_page(shipped.url, timeout=HONEST_BOUND)
        session.close()  # a new connection, as a new visitor's
        click = session.click(targets[0]).seconds
    print(f"\n{kind}: page {page * 1000:.0f} ms, click {click * 1000:.0f} ms, slow {slow.stats}")
    assert page < HONEST_BOUND and click < HONEST_BOUND
