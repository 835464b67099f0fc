"""What a select click takes on real networks: from the click on a thumbnail to the selected image
fully shown, in Chromium under Chrome's own network emulation (CDP
Network.emulateNetworkConditions), on every profile of app/meter/profiles.json (the payload
meter's, read from there: tests/network.py turns them into CDP's figures), for every pattern at
1, 12 and 48 images. Beside each time: the click's bytes (up and down /__ui__, and image bytes
from storage) and the payload meter's own estimate for that profile, so the meter's model can be
checked against the emulated network.

How one case (page × size × profile) is measured:

- The app runs under gunicorn with one sync worker, as bench/payload.py serves it, so bytes compare
  with payload.json. Its timeout is off (gunicorn.conf.py's default): Chrome paces an upload's
  body to the emulated rate, and the server reads /base64's 19.5 MB for minutes.
- The gallery is filled on loopback without emulation (bench/payload.py's fill: the 12 samples
  per click; at 1 image, one upload), every thumbnail is loaded, then one select is clicked
  without emulation: the meter's estimate for this profile is read from it, as a user would read
  it on a fast connection. Only then is emulation turned on and the timed clicks made.
- Every timed click shows an image the page has never shown: the same picture twice would come
  from the browser's cache on /gcs and /database (their URLs are content-addressed; /gcs's samples
  are one object per picture for every gallery), flattering them. A gallery of 12 or 48 images
  holds 12 different pictures (the samples, four times each at 48), enough for the estimate's
  select and three timed ones. A gallery of 1 image has one picture, shown once: so at 1 image
  every select (the estimate's and each timed one) is made in a fresh browser context (a new
  visit, with an empty cache and a gallery of its own) after its own upload.
- The time is taken by the page itself: performance.now() at the click event and at the first
  animation frame where the viewer's `<img alt="Selected: name">` is complete with a natural
  width, so the script's polling adds nothing (as tests/test_e2e_meter_dropin.py does).

The budget (the full run's length is in meta.run_seconds): three timed clicks per case, but one
where the meter predicts more than 20 s (/base64 at 12 and 48 images on the slower uplinks: 19.5 MB
up at 750 kbps is over 3 minutes a click). Each profile has its own server (a gunicorn with one
sync worker each): Chrome paces an upload's body at the emulated rate, so a sync worker reading
/base64's body is busy for the whole upload (server_ms is the upload's time), and a click on
another profile would wait behind it. In the cases with such a long click the profiles run side by
side, each in its own browser context against its own server (galleries filled one after the
other, then the timed clicks in rounds, one click per profile at once); in the other cases one
profile after the other. Why: side by side saves minutes where a click takes minutes, and costs
the sub-second clicks their neighbours' CPU. Measured in one sitting on 2 busy cores, /base64 and
/gcs at 12 images, every profile side by side against `--serial` (median s): /base64 4G 53.46
against 52.98, LTE 4.12 against 4.07, cable 39.20 against 39.06 (under 1.5 % slower); /gcs 4G 1.44
against 1.41, LTE 0.37 against 0.35, cable 0.53 against 0.46 (20 to 70 ms, up to 15 % slower). So
rows marked `alongside` are the long cases only, where that is under 1.5 %.

    .venv/bin/python -m bench.networks                   # everything (15 minutes on 2 busy cores)
    .venv/bin/python -m bench.networks --paths /gcs --sizes 48 --profiles "4G phone" --clicks 1
    .venv/bin/python -m bench.networks --serial ...      # the profiles one after the other
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from app.meter.meter import profiles as meter_profiles
from app.patterns import PATHS
from bench.payload import SYNC, fill
from bench.results import RESULTS, finish
from tests import timing_log
from tests.conftest import chromium_path
from tests.gallery_page import open_gallery, thumbnails, wait_until_shown
from tests.harness import Server, serve
from tests.network import conditions, throttle
from tests.wire import MediaLog, UiLog, ui_traffic

SIZES = (1, 12, 48)
CLICKS = 3  # timed clicks per case...
LONG_MS = 20_000  # ...but one where the meter predicts a click longer than this
SHOWN_TIMEOUT_MS = 15 * 60_000  # the slowest click measured took under 4 minutes

# Waits in the page for the click, then for the viewer's image named `name` to be complete;
# stamps both with the page's clock.
ARM = """name => {
    window.__clickedAt = 0;
    window.__shownAt = 0;
    document.addEventListener("click", () => {
        window.__clickedAt = window.__clickedAt || performance.now();
    }, {capture: true, once: true});
    const look = () => {
        const img = [...document.querySelectorAll("img")].find(i => i.alt === `Selected: ${name}`);
        if (window.__clickedAt && img && img.complete && img.naturalWidth > 0) {
            window.__shownAt = performance.now();
            return;
        }
        requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
}"""


@dataclass
class Visit:
    """One profile's page with a filled gallery: its own context, so its own cache."""

    context: BrowserContext
    page: Page
    names: list[str]  # the gallery's different pictures, in grid order
    ui: UiLog  # its /__ui__ requests
    media: MediaLog  # its images from elsewhere (storage, the app's route)
    shown: set[str] = field(default_factory=set)
    throttled: bool = False

    @property
    def unseen(self) -> str:
        return next(n for n in self.names if n not in self.shown)

    def close(self) -> None:
        self.context.close()


@dataclass
class Lane:
    """One profile's part of a case: its server, its visit, and what was measured."""

    profile: dict[str, Any]
    server: Server
    log: Path
    visit: Visit | None = None
    estimate_ms: int = 0
    clicks: int = CLICKS
    alongside: bool = False  # its clicks ran beside the other profiles'
    samples: list[dict[str, Any]] = field(default_factory=list)


def open_visit(browser: Browser, url: str, size: int) -> Visit:
    """A fresh visit with the gallery at `size`, every thumbnail loaded, nothing selected yet."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    ui, media = UiLog(page), MediaLog(page)
    open_gallery(page, url)
    fill(page, size)
    page.wait_for_function(
        "() => [...document.querySelectorAll('img[alt^=\"Thumbnail\"]')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    alts = thumbnails(page).evaluate_all("cards => cards.map(c => c.alt)")
    names = list(dict.fromkeys(a.removeprefix("Thumbnail: ") for a in alts))
    return Visit(context, page, names, ui, media)


def estimate(visit: Visit, profile: dict[str, Any]) -> int:
    """The payload meter's estimate (ms) for `profile` of a select, from one made without
    emulation: what the meter would tell a developer on a fast connection."""
    page, name = visit.page, visit.unseen
    meter = page.locator("payload-meter")
    before = int(meter.get_attribute("data-meter-requests") or 0)
    ui_traffic(page, lambda: thumbnail(page, name).click())
    wait_until_shown(page, name)
    visit.shown.add(name)
    page.wait_for_function(
        "n => Number(document.querySelector('payload-meter')?.dataset.meterRequests) > n",
        arg=before,
    )
    page.wait_for_timeout(500)  # the image's bytes are credited to the click as they arrive
    return json.loads(meter.get_attribute("data-meter-estimates") or "{}")[profile["name"]]


def thumbnail(page: Page, name: str):
    return page.get_by_role("img", name=f"Thumbnail: {name}", exact=True).first


@dataclass
class Timed:
    """A timed click in flight: what is needed to read its figures once the image shows."""

    lane: Lane
    name: str
    logged: int


def start_click(lane: Lane) -> Timed:
    """Emulation on, then the click; returns at once (the page stamps the times itself)."""
    visit = lane.visit
    assert visit is not None
    page, name = visit.page, visit.unseen
    if not visit.throttled:  # on for the rest of the visit: only timed clicks come after
        throttle(page, lane.profile)
        visit.throttled = True
    visit.ui.take()  # forget the set-up's requests (all ended)
    visit.media.take()
    page.evaluate(ARM, name)
    logged = timing_log.count(lane.log)
    thumbnail(page, name).click()
    visit.shown.add(name)
    return Timed(lane, name, logged)


def finish_click(timed: Timed) -> dict[str, Any]:
    """Waits for the image, then reads the click's time, bytes and server time."""
    visit = timed.lane.visit
    assert visit is not None
    page = visit.page
    page.wait_for_function("() => window.__shownAt > 0", polling=250, timeout=SHOWN_TIMEOUT_MS)
    ms = page.evaluate("window.__shownAt - window.__clickedAt")
    traffic = visit.ui.take(timeout=SHOWN_TIMEOUT_MS)
    src = page.get_by_role("img", name=f"Selected: {timed.name}").get_attribute("src") or ""
    if not src.startswith("data:"):  # its requestfinished event may come just after it shows
        for _ in range(100):
            if any(r.url == src for r in visit.media.requests):
                break
            page.wait_for_timeout(100)
    media = sum(size for _, size in visit.media.take())
    server = timing_log.record(timed.lane.log, timed.logged, timeout=30)
    return {"image": timed.name, "seconds": round(ms / 1000, 3), "up": traffic.up,
            "down": traffic.down, "media": media, "server_ms": server["ms"]}  # fmt: skip


def measure_case(
    browser: Browser, lanes: list[Lane], path: str, size: int, clicks: int, serial: bool
) -> None:
    """One page at one size on every lane's profile: the estimates, then the timed clicks,
    side by side where a click is predicted to be long (see the docstring), else lane by lane."""
    for lane in lanes:
        lane.samples = []
        first = open_visit(browser, lane.server.url + path, size)
        lane.estimate_ms = estimate(first, lane.profile)
        if size == 1:  # its one picture has been shown: each timed click gets a fresh visit
            first.close()
            first = None
        lane.visit = first
        lane.clicks = 1 if lane.estimate_ms > LONG_MS else clicks
    alongside = not serial and len(lanes) > 1 and any(lane.clicks == 1 for lane in lanes)
    for group in [lanes] if alongside else [[lane] for lane in lanes]:
        for lane in group:
            lane.alongside = alongside
        time_clicks(browser, group, path, size)


def time_clicks(browser: Browser, lanes: list[Lane], path: str, size: int) -> None:
    """The lanes' timed clicks in rounds: one click per lane at once, every visit ready first
    (nothing is set up while a click runs)."""
    for round_ in range(max(lane.clicks for lane in lanes)):
        active = [lane for lane in lanes if round_ < lane.clicks]
        for lane in active:
            if lane.visit is None:
                lane.visit = open_visit(browser, lane.server.url + path, size)
        started = [start_click(lane) for lane in active]
        for timed in started:
            timed.lane.samples.append(finish_click(timed))
        for lane in active:
            if size == 1 and lane.visit is not None:
                lane.visit.close()
                lane.visit = None
    for lane in lanes:
        if lane.visit is not None:
            lane.visit.close()
            lane.visit = None


def row(lane: Lane, path: str, size: int) -> dict[str, Any]:
    samples = lane.samples
    median = lambda key: statistics.median(s[key] for s in samples)  # noqa: E731
    return {
        "path": path,
        "images": size,
        "profile": lane.profile["name"],
        "clicks": len(samples),
        "alongside": lane.alongside,
        "seconds_median": round(median("seconds"), 3),
        "seconds_min": min(s["seconds"] for s in samples),
        "seconds_max": max(s["seconds"] for s in samples),
        "estimate_seconds": round(lane.estimate_ms / 1000, 3),
        "up": int(median("up")),
        "down": int(median("down")),
        "media": int(median("media")),
        "server_ms_median": round(median("server_ms"), 1),
        "samples": samples,
    }


def print_row(r: dict[str, Any]) -> None:
    print(
        f"networks {r['path']:9} {r['images']:3} images {r['profile']:12} | "
        f"{r['seconds_median']:8.2f} s (min {r['seconds_min']:.2f}, max {r['seconds_max']:.2f}, "
        f"{r['clicks']} clicks) | meter {r['estimate_seconds']:8.2f} s | "
        f"{r['up']:>10,} B up {r['down']:>8,} B down {r['media']:>8,} B media | "
        f"server {r['server_ms_median']} ms",
        flush=True,
    )


@contextlib.contextmanager
def servers(names: list[str], scratch: Path) -> Iterator[list[Lane]]:
    """One gunicorn (1 sync worker, as bench/payload.py) per profile, each with its own log."""
    chosen = [p for p in meter_profiles() if p["name"] in names]
    if len(chosen) != len(names):
        known = [p["name"] for p in meter_profiles()]
        raise SystemExit(f"unknown profile in {names}; app/meter/profiles.json has {known}")
    with contextlib.ExitStack() as stack:
        lanes = []
        for n, profile in enumerate(chosen):
            log = scratch / f"timing-{n}.jsonl"
            env = {"GCS_EMULATOR_DATA_DIR": str(scratch / f"gcs-{n}"),
                   "GALLERY_TIMING_LOG": str(log)}  # fmt: skip
            server = stack.enter_context(
                serve("gunicorn", env=env, gunicorn_args=(*SYNC, "--timeout", "0"), log_dir=scratch)
            )
            lanes.append(Lane(profile, server, log))
        yield lanes


def run(
    paths: list[str],
    sizes: list[int],
    profile_names: list[str],
    clicks: int = CLICKS,
    serial: bool = False,
    out: Path | None = RESULTS / "networks.json",
) -> dict:
    """Every page at every size on every profile; rows in that order."""
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="bench-networks-"))
    rows = []
    chosen = [p for p in meter_profiles() if p["name"] in profile_names]
    with sync_playwright() as pw, servers(profile_names, scratch) as lanes:
        browser = pw.chromium.launch(executable_path=chromium_path())
        for path in paths:
            for size in sizes:
                measure_case(browser, lanes, path, size, clicks, serial)
                for lane in lanes:
                    rows.append(row(lane, path, size))
                    print_row(rows[-1])
        browser.close()
    meta = {
        "server": "gunicorn app.main:app, 1 sync worker (production mode, no worker timeout), "
        "loopback; one server per profile",
        "browser": "chromium (headless), one context per visit",
        "emulation": "CDP Network.emulateNetworkConditions, per page: "
        + json.dumps({p["name"]: conditions(p) for p in chosen}),
        "measured_with": "the page's performance.now() from the click event to the first frame "
        "with the viewer's image complete; bytes by Playwright's request.sizes()",
        "clicks_per_case": clicks,
        "one_click_above_estimate_seconds": LONG_MS / 1000,
        "profiles_alongside": "never (--serial)"
        if serial
        else f"where a click is predicted over {LONG_MS / 1000:.0f} s (rows' `alongside`)",
        "run_seconds": round(time.monotonic() - started),
    }
    return finish(meta, rows, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    names = [p["name"] for p in meter_profiles()]
    parser.add_argument("--paths", nargs="+", default=list(PATHS))
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--profiles", nargs="+", default=names, help=f"of {names}")
    parser.add_argument("--clicks", type=int, default=CLICKS,
                        help=f"timed clicks per case (1 where the meter predicts over "
                        f"{LONG_MS // 1000} s)")  # fmt: skip
    parser.add_argument("--serial", action="store_true", help="profiles one after the other")
    parser.add_argument("--out", type=Path, default=RESULTS / "networks.json")
    args = parser.parse_args()
    run(args.paths, args.sizes, args.profiles, args.clicks, args.serial, args.out)


if __name__ == "__main__":
    main()
