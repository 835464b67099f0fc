"""Bytes and time per interaction, measured in real Chromium against the app under gunicorn.

For each page and gallery size: what the browser sent to and received from /__ui__ (Playwright's
request.sizes()) for the last "Add sample images" click and for a select click, the image bytes
the select fetched from elsewhere (storage), and the time of a select click (median and p95 of
`--clicks` clicks, request sent to response end, on loopback: server time plus a little), as wall
time and as the serving thread's CPU time (app/timing.py; steadier on a busy machine).

Besides each page as it ships (variant "default"), /base64 is measured under Mesop's own remedies:
`MESOP_STATE_SESSION_BACKEND=memory` (variant "state-memory": the browser sends a token, not the
state) and `MESOP_WEBSOCKETS_ENABLED=true` (variant "websockets": state stays in the server's
per-connection context; bytes are websocket frame payloads, and the server's time per interaction
is not logged, as the whole connection is one request). The floor (path "/counter", variant
"floor") is bench/counter_app.py's button: Mesop's smallest click. The same button inside the app
(variant "in-app": its state classes and middlewares) and inside each page's frame (variant
"frame", path the page's: navigation, explanation, meter, no gallery) come from
bench/frame_app.py; with them the report splits a select click's server CPU into floor, state,
frame and pattern. Every row of those variants and of "default" also counts the components one
render of the page makes (`components`, through bench/protocol.py's client).

    .venv/bin/python -m bench.payload                 # everything, at 1, 12, 48 images
    .venv/bin/python -m bench.payload --paths /gcs --sizes 1 48 --clicks 40 --out results.json
    .venv/bin/python -m bench.payload --paths /gcs --sizes 48 --variants default floor frame
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, WebSocket, expect, sync_playwright

from app.patterns import PATHS
from bench.counter import FRAME
from bench.protocol import rendered_components
from bench.results import RESULTS, finish, percentile
from tests import timing_log
from tests.conftest import chromium_path
from tests.gallery_page import SAMPLES_PER_CLICK, open_gallery, thumbnails, wait_until_shown
from tests.harness import ROOT, serve
from tests.wire import MediaLog, Traffic, ui_traffic

Meter = Callable[[Page, Callable[[], object]], Traffic]


def ui_bytes(page: Page, action: Callable[[], object]) -> Traffic:
    """tests/wire.py's ui_traffic, bounded at 60 s: a case that stalls fails and is retried."""
    return ui_traffic(page, action, timeout=60_000)


@dataclass(frozen=True)
class Variant:
    """A way of serving the app: its name in the results, its environment, its gunicorn flags."""

    name: str
    paths: tuple[str, ...]
    env: dict[str, str]
    gunicorn_args: tuple[str, ...] = ()


# One sync worker, named explicitly: gunicorn.conf.py's defaults (gthread) may change, and these
# figures should not change with them. Bytes do not depend on the worker class.
SYNC = ("--worker-class", "sync", "--threads", "1")

VARIANTS = (
    Variant("default", PATHS, {}, SYNC),
    Variant("state-memory", ("/base64",), {"MESOP_STATE_SESSION_BACKEND": "memory"}, SYNC),
    # A websocket holds its worker for the connection's life: a threaded worker keeps the page's
    # other requests (scripts, fonts) served meanwhile.
    Variant(
        "websockets",
        ("/base64",),
        {"MESOP_WEBSOCKETS_ENABLED": "true"},
        ("--worker-class", "gthread", "--threads", "8"),
    ),
)


class WsMeter:
    """Bytes of one interaction over Mesop's websocket: the frames' payload lengths from the
    frame that carries the event to the frame that ends the reply (`<stream_end>`)."""

    def __init__(self, page: Page) -> None:
        self.up = self.down = 0
        self.ended = 0
        self.started = self.finished = 0.0
        page.on("websocket", self._attach)

    def _attach(self, ws: WebSocket) -> None:
        ws.on("framesent", self._sent)
        ws.on("framereceived", self._received)

    def _sent(self, payload: str | bytes) -> None:
        self.up += len(payload)
        self.started = self.started or time.perf_counter()

    def _received(self, payload: str | bytes) -> None:
        self.down += len(payload)
        raw = payload.encode() if isinstance(payload, str) else payload
        if self.started and b"<stream_end>" in raw:  # the end of this interaction's reply
            self.ended += 1
            self.finished = time.perf_counter()

    def __call__(self, page: Page, action: Callable[[], object]) -> Traffic:
        self.up = self.down = 0
        self.started = 0.0
        ended = self.ended
        action()
        deadline = time.monotonic() + 120
        while self.ended == ended:
            if time.monotonic() > deadline:
                raise TimeoutError("no <stream_end> frame within 120 s")
            page.wait_for_timeout(10)  # lets Playwright deliver the frame events
        return Traffic(self.up, self.down, (self.finished - self.started) * 1000)


def fill(page: Page, size: int, meter: Meter = ui_bytes) -> Traffic:
    """Bring the gallery to `size` images; return the /__ui__ traffic of the last addition."""
    if size == 1:
        sample = sorted((ROOT / "app/gallery/samples").glob("*.jpg"))[0]
        button = page.locator("input[type=file]")
        traffic = meter(page, lambda: button.set_input_files(str(sample)))
        expect(thumbnails(page)).to_have_count(1, timeout=60_000)
        return traffic
    if size % SAMPLES_PER_CLICK:
        raise SystemExit(f"gallery sizes must be 1 or multiples of {SAMPLES_PER_CLICK}")
    traffic = Traffic(0, 0)
    while thumbnails(page).count() < size:
        button = page.get_by_role("button", name="Add sample images")
        before = thumbnails(page).count()
        traffic = meter(page, button.click)
        expect(thumbnails(page)).to_have_count(before + SAMPLES_PER_CLICK, timeout=120_000)
    return traffic


def server_time(log: Path, after_line: int) -> tuple[float, float]:
    """The server's wall and CPU ms for the /__ui__ request logged after `after_line`."""
    logged = timing_log.record(log, after_line, timeout=5)
    return logged["ms"], logged["cpu_ms"]


def summary(prefix: str, values: list[float]) -> dict:
    if not values:
        return {f"{prefix}_median": None, f"{prefix}_p95": None}
    return {f"{prefix}_median": round(statistics.median(values), 2),
            f"{prefix}_p95": percentile(values, 0.95)}  # fmt: skip


def measure(
    page: Page, url: str, size: int, clicks: int, log: Path | None, meter: Meter = ui_bytes
) -> dict:
    open_gallery(page, url)
    logged = timing_log.count(log) if log else 0
    add = fill(page, size, meter)
    added = log is not None and timing_log.count(log) > logged
    add_time = server_time(log, timing_log.count(log) - 1) if added else None
    # Every thumbnail loaded before the selects: one still arriving would count among the
    # selects' requests to the app's image route (/database), which measure display images.
    page.wait_for_function(
        "() => [...document.querySelectorAll('img[alt^=\"Thumbnail\"]')].every(i => i.complete)"
    )
    media = MediaLog(page)
    cards = thumbnails(page)
    names = [cards.nth(i).get_attribute("alt").removeprefix("Thumbnail: ") for i in (0, size - 1)]
    selects: list[Traffic] = []
    server: list[float] = []
    cpu: list[float] = []
    first_media = 0
    served_before = len(timing_log.media(log)) if log else 0
    for n in range(clicks):
        index = 0 if n % 2 == 0 else size - 1  # alternate, so every click changes the viewer
        media.take()  # forget the previous click's images
        logged = timing_log.count(log) if log else 0
        selects.append(meter(page, cards.nth(index).click))
        if log:
            wall, thread_cpu = server_time(log, logged)
            server.append(wall)
            cpu.append(thread_cpu)
        wait_until_shown(page, names[n % 2] if size > 1 else names[0])
        page.wait_for_timeout(50)
        if n == 0:
            first_media = sum(size for _, size in media.take())
    reselect_media = sum(size for _, size in media.take())
    # The display images the app itself served during the selects (/database's route): its
    # CPU per image, against a select click's.
    route_cpu = [r["cpu_ms"] for r in timing_log.media(log)[served_before:]] if log else []
    # Re-selects: the thumbnail already shown, clicked again. The same work at every size (the
    # page rendered twice, nothing changed), so the server's cost of the thumbnails compares like
    # for like across sizes; the selects above cannot (at 1 image, all but the first re-select).
    render_wall: list[float] = []
    render_cpu: list[float] = []
    if log:
        # Selects the first image (at 1 image: re-selects it); once its line is written, the
        # loop's lines are the re-selects'.
        timing_log.timed(log, cards.nth(0).click, timeout=5)
        wait_until_shown(page, names[0])
        for _ in range(clicks):
            timing = timing_log.timed(log, cards.nth(0).click, timeout=5)
            render_wall.append(timing["ms"])
            render_cpu.append(timing["cpu_ms"])
    browser = [t.ms for t in selects]
    return {
        "images": size,
        "add_up": add.up,
        "add_down": add.down,
        "select_up": selects[0].up,
        "select_down": selects[0].down,
        "select_media": first_media,
        "reselect_media": reselect_media,
        **summary("select_server_ms", server),
        **summary("select_server_cpu_ms", cpu),
        **summary("reselect_server_ms", render_wall),
        **summary("reselect_server_cpu_ms", render_cpu),
        **summary("route_image_cpu_ms", route_cpu),
        "select_browser_ms_median": round(statistics.median(browser), 1),
        "add_server_ms": add_time[0] if add_time else None,
        "add_server_cpu_ms": add_time[1] if add_time else None,
    }


def measure_counters(
    browser: Browser, cases: list[tuple[str, str, str]], clicks: int, log: Path
) -> list[dict]:
    """Counters' buttons, each clicked `clicks` times and measured like a select click: the
    floor (bench/counter_app.py), or the same button inside the app and inside pages' frames
    (bench/frame_app.py). cases: (url, path, variant) per row. With several cases, one click
    each in turn, so that a burst of other work on the machine weighs on all of them alike:
    the report subtracts them from one another."""
    pages = []
    for url, _, _ in cases:
        page = browser.new_context().new_page()
        page.goto(url)
        expect(page.get_by_role("button", name="Count")).to_be_enabled()
        pages.append(page)
    traffic: list[list[Traffic]] = [[] for _ in cases]
    server: list[list[float]] = [[] for _ in cases]
    cpu: list[list[float]] = [[] for _ in cases]
    for n in range(clicks):
        for i, page in enumerate(pages):
            logged = timing_log.count(log)
            traffic[i].append(ui_bytes(page, page.get_by_role("button", name="Count").click))
            expect(page.get_by_text(f"Clicked {n + 1} times")).to_be_visible()
            wall, thread_cpu = server_time(log, logged)
            server[i].append(wall)
            cpu[i].append(thread_cpu)
    for page in pages:
        page.context.close()
    return [
        {
            "path": path,
            "variant": variant,
            "images": 0,
            "add_up": 0,
            "add_down": 0,
            "select_up": traffic[i][-1].up,
            "select_down": traffic[i][-1].down,
            "select_media": 0,
            "reselect_media": 0,
            **summary("select_server_ms", server[i]),
            **summary("select_server_cpu_ms", cpu[i]),
            **summary("reselect_server_ms", []),  # a counter has nothing to re-select
            **summary("reselect_server_cpu_ms", []),
            **summary("route_image_cpu_ms", []),
            "select_browser_ms_median": round(statistics.median(t.ms for t in traffic[i]), 1),
            "add_server_ms": None,
            "add_server_cpu_ms": None,
        }
        for i, (_, path, variant) in enumerate(cases)
    ]


def print_row(row: dict) -> None:
    server = row["select_server_ms_median"]
    print(
        f"payload {row['path']:8} {row['variant']:12} {row['images']:3} images | select: "
        f"{row['select_up']:>10,} B up {row['select_down']:>9,} B down "
        f"{row['select_media']:>8,} B media, server {server} ms "
        f"(cpu {row['select_server_cpu_ms_median']}, {row.get('components')} components) | "
        f"last add: {row['add_up']:>10,} B up {row['add_down']:>10,} B down",
        flush=True,
    )


def run(
    paths: list[str],
    sizes: list[int],
    clicks: int,
    variants: list[str],
    scratch: Path,
    out: Path | None = RESULTS / "payload.json",
) -> dict:
    """Every chosen variant's pages at every size, then the counters (the floor, in the app, in
    the frames); one browser. The counters get twice the clicks: a counter's click is quick, and
    the report subtracts their medians from one another and from the pages' (app/click_cost.py),
    which adds their noise."""
    rows = []
    log = scratch / "timing.jsonl"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path())
        for variant in [v for v in VARIANTS if v.name in variants]:
            env = {**variant.env, "GCS_EMULATOR_DATA_DIR": str(scratch / f"gcs-{variant.name}"),
                   "GALLERY_TIMING_LOG": str(log)}  # fmt: skip
            with serve("gunicorn", env=env, gunicorn_args=variant.gunicorn_args,
                       log_dir=scratch) as server:  # fmt: skip
                for path in [p for p in variant.paths if p in paths]:
                    for size in sizes:
                        context = browser.new_context()  # a fresh visit: no other page's state
                        page = context.new_page()
                        ws = variant.name == "websockets"
                        meter: Meter = WsMeter(page) if ws else ui_bytes
                        measured = measure(
                            page, server.url + path, size, clicks, None if ws else log, meter
                        )
                        context.close()
                        # Counted by bench/protocol.py's client (it speaks the default set-up),
                        # on a gallery of whole 12-image chunks: at 1 image, of 12, the same tree.
                        counted = None
                        if variant.name == "default":
                            counted = rendered_components(
                                server.url, path, math.ceil(size / SAMPLES_PER_CLICK)
                            )
                        rows.append({"path": path, "variant": variant.name, **measured,
                                     "components": counted})  # fmt: skip
                        print_row(rows[-1])
        if "floor" in variants:
            env = {"GALLERY_TIMING_LOG": str(log), "GCS_EMULATOR_DATA_DIR": str(scratch / "gcs")}
            with serve("gunicorn", env=env, wsgi_app="bench.counter_app:timed_app",
                       gunicorn_args=SYNC, log_dir=scratch) as server:  # fmt: skip
                rows += measure_counters(browser, [(server.url, "/counter", "floor")], 2 * clicks,
                                         log)  # fmt: skip
                rows[-1]["components"] = rendered_components(server.url, "/")
                print_row(rows[-1])
        if "frame" in variants:  # the counter inside the app, then inside each page's frame
            env = {"GALLERY_TIMING_LOG": str(log), "GCS_EMULATOR_DATA_DIR": str(scratch / "gcs")}
            with serve("gunicorn", env=env, wsgi_app="bench.frame_app:app",
                       gunicorn_args=SYNC, log_dir=scratch) as server:  # fmt: skip
                served = [FRAME] + [FRAME + path for path in PATHS if path in paths]
                cases = [(server.url + served[0], "/counter", "in-app")]
                cases += [(server.url + s, s.removeprefix(FRAME), "frame") for s in served[1:]]
                for row, page_path in zip(measure_counters(browser, cases, 2 * clicks, log),
                                          served, strict=True):  # fmt: skip
                    rows.append({**row, "components": rendered_components(server.url, page_path)})
                    print_row(rows[-1])
        browser.close()
    meta = {
        "server": "gunicorn app.main:app, 1 sync worker (production mode), loopback; "
        "variant websockets: 1 gthread worker, 8 threads; floor: bench.counter_app, in-app and "
        "frame: bench.frame_app, the same way",
        "browser": "chromium (headless)",
        "measured_with": "Playwright request.sizes() on /__ui__ (websockets: frame payload "
        "lengths); server time from app/timing.py (wall and thread CPU)",
        "clicks_per_case": clicks,
        "clicks_per_counter_case": 2 * clicks,
    }
    return finish(meta, rows, out)


def run_isolated(
    paths: list[str],
    sizes: list[int],
    clicks: int,
    variants: list[str],
    out: Path | None = RESULTS / "payload.json",
    timeout: float = 300,
) -> dict:
    """`run`, one case (variant, page, size) per child process, bounded by `timeout`, tried twice.

    Why: on a busy machine a Playwright wait has been seen to hang for good (rarely, never twice
    in a row); a child process can be stopped and the case retried, a thread cannot."""
    rows, meta = [], {}
    groups = [(v.name, p, [size]) for v in VARIANTS if v.name in variants
              for p in v.paths if p in paths for size in sizes]  # fmt: skip
    groups += [("floor", "", sizes)] if "floor" in variants else []
    groups += [("frame", " ".join(paths), sizes)] if "frame" in variants else []
    for variant, path, case_sizes in groups:
        scratch = Path(tempfile.mkdtemp(prefix="bench-payload-"))
        command = [sys.executable, "-m", "bench.payload", "--variants", variant, "--paths",
                   *(path or "/").split(), "--sizes", *map(str, case_sizes), "--clicks",
                   str(clicks), "--out", str(scratch / "part.json")]  # fmt: skip
        for attempt in (1, 2):
            try:
                subprocess.run(command, cwd=ROOT, check=True, timeout=timeout)
                break
            except (subprocess.TimeoutExpired, subprocess.CalledProcessError) as failure:
                print(f"payload {variant} {path} {case_sizes}: attempt {attempt} failed: {failure}",
                      flush=True)  # fmt: skip
                if attempt == 2:
                    raise
        part = json.loads((scratch / "part.json").read_text())
        rows += part["rows"]
        meta = part["meta"]
    meta.pop("load_average_at_start", None)  # finish() records the whole run's
    return finish(meta, rows, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", nargs="+", default=list(PATHS))
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 12, 48])
    parser.add_argument("--clicks", type=int, default=20, help="select clicks timed per case")
    parser.add_argument(
        "--variants", nargs="+", default=[*(v.name for v in VARIANTS), "floor", "frame"],
        help="default, state-memory, websockets, floor (the counter page), frame (the counter "
        "inside the app and inside each page's frame: bench/frame_app.py)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS / "payload.json")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    run(args.paths, args.sizes, args.clicks, args.variants, scratch, args.out)


if __name__ == "__main__":
    main()
