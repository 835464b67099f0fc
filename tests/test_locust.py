"""The Locust user (bench/locustfile.py) load-tests a running app as the docs say, and the protocol
client behind it keeps to a worker, or not, as asked.

Real parts: gunicorn on loopback, Locust's own command line, Mesop's memory state backend.
"""

from __future__ import annotations

import contextlib
import csv
import http.server
import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from bench.protocol import Session
from tests.harness import BIN, ROOT, Server, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Server:
    scratch = tmp_path_factory.mktemp("locust")
    with serve("gunicorn", env={"GCS_EMULATOR_DATA_DIR": str(scratch / "gcs")},
               log_dir=scratch) as running:  # fmt: skip
        yield running


def locust(
    command: list[str], url: str, out: Path, *options: str, failures: bool = False
) -> tuple[dict, dict]:
    """A headless run of 3 users for 3 s of clicks; Locust's CSV rows by name, and the
    locustfile's summary. Locust exits with 1 when a request failed: `failures` expects that."""
    done = subprocess.run(
        [*command, "-f", "bench/locustfile.py", "--headless", "--host", url, "-u", "3", "-r", "3",
         "-t", "60s", "--csv", str(out), "--only-summary", "--mesop-seconds", "3",
         "--mesop-summary", f"{out}.json", *options],
        cwd=ROOT, timeout=90, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == (1 if failures else 0), done.stderr[-2000:]
    with open(f"{out}_stats.csv", newline="") as f:
        rows = {row["Name"]: row for row in csv.DictReader(f)}
    return rows, json.loads(Path(f"{out}.json").read_text())


@pytest.mark.parametrize("command", [[str(BIN / "locust")], [str(BIN / "python"), "-m", "locust"]],
                         ids=["locust", "python -m locust"])  # fmt: skip
def test_locust_clicks_thumbnails_on_a_running_app(
    server: Server, command: list[str], tmp_path: Path
) -> None:
    """`locust -f bench/locustfile.py --host URL` as the docs give it: each user opens /gcs, adds
    the samples (by the button's label), then clicks thumbnails (by their alt text)."""
    rows, summary = locust(command, server.url, tmp_path / "run")
    assert rows["setup: Add sample images"]["Request Count"] == "3"
    clicks = rows["click: Thumbnail"]
    assert int(clicks["Request Count"]) > 10 and clicks["Failure Count"] == "0"
    assert summary["users_ready"] == 3 and summary["errors"] == {}
    assert summary["window_seconds"] == 3.0
    assert summary["bytes_up"] / summary["clicks_in_window"] < 2_000  # /gcs: an id, not images


def test_another_apps_labels_drive_the_counter(tmp_path: Path) -> None:
    """Nothing in the user is this app's: the counter (bench/counter_app.py) by its button."""
    with serve("gunicorn", wsgi_app="bench.counter_app:app", log_dir=tmp_path) as counter:
        options = ("--mesop-path", "/", "--mesop-setup", "", "--mesop-click", "Count")
        rows, summary = locust([str(BIN / "locust")], counter.url, tmp_path / "counter", *options)
    assert int(rows["click: Count"]["Request Count"]) > 10
    assert rows["click: Count"]["Failure Count"] == "0" and summary["errors"] == {}


def test_a_missing_label_fails_the_users_set_up_by_name(server: Server, tmp_path: Path) -> None:
    _, summary = locust([str(BIN / "locust")], server.url, tmp_path / "missing",
                        "--mesop-setup", "No such button", failures=True)  # fmt: skip
    assert summary["setup_failures"] == 3 and summary["clicks_in_window"] == 0
    with open(tmp_path / "missing_failures.csv", newline="") as f:
        failures = list(csv.DictReader(f))
    assert "no button or image labelled 'No such button'" in failures[0]["Error"]


def test_a_pinned_user_stays_on_its_worker_and_an_unpinned_one_resends_its_state(
    tmp_path: Path,
) -> None:
    """Mesop's memory backend behind two workers: a pinned session (one kept connection) always
    reaches the worker that holds its token; an unpinned one (a connection per click) sometimes
    does not, and then sends its whole state again, as Mesop's client does."""
    env = {"MESOP_STATE_SESSION_BACKEND": "memory", "GCS_EMULATOR_DATA_DIR": str(tmp_path / "g")}
    with serve("gunicorn", env=env, workers=2, log_dir=tmp_path) as two:
        seen = {}
        for pinned in (True, False):
            session = Session(two.url, "/base64", pinned=pinned)
            session.init()
            session.click(session.find("Add sample images")[0])
            session.refresh_tree()
            thumbs = session.find("Thumbnail")
            replies = [session.click(thumbs[n % 2]) for n in range(40)]
            session.close()
            seen[pinned] = replies
    assert len({r.served_by for r in seen[True]}) == 1
    assert not any(r.state_resent for r in seen[True])
    assert max(r.bytes_up for r in seen[True]) < 2_000  # the token only
    assert len({r.served_by for r in seen[False]}) == 2
    resent = [r for r in seen[False] if r.state_resent]
    assert resent and min(r.bytes_up for r in resent) > 1_000_000  # 12 images of state


def test_a_reply_that_never_ends_is_cut_off_at_the_sessions_timeout() -> None:
    """The socket's timeout bounds each read only: a server that trickles an endless reply (a
    blank event every 0.2 s) must not hold a simulated user, or a benchmark, for good."""

    class Trickle(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(100):
                    self.wfile.write(b"data: \n\n")
                    self.wfile.flush()
                    time.sleep(0.2)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    session = Session(f"http://127.0.0.1:{server.server_address[1]}", "/", timeout=1.5)
    started = time.monotonic()
    try:
        with pytest.raises(TimeoutError, match=r"still arriving after 1\.5 s"):
            session.init()
    finally:
        session.close()
        server.shutdown()
    assert time.monotonic() - started < 4


def test_an_empty_click_label_is_refused_in_one_line(server: Server) -> None:
    done = subprocess.run(
        [str(BIN / "locust"), "-f", "bench/locustfile.py", "--headless", "--host", server.url,
         "-u", "1", "-t", "5s", "--mesop-click", ""],
        cwd=ROOT, timeout=60, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 1
    assert "--mesop-click needs a label prefix" in done.stderr
