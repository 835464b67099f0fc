"""Server cost of rendering a gallery of 48 thumbnails against 1, measured in one run, interleaved.

The /gcs issue's goal: rendering 48 thumbnails costs at most 1.2x the server time of rendering 1.
Two galleries (two browser contexts: two visitors) are filled once, then clicked in turn (1, 48,
48, 1, ...), so whatever else the machine does at a moment weighs on both sizes alike.

Each timed click is a re-select: a click on the thumbnail already shown. Why: it is the same work
at both sizes (Mesop renders the whole page twice and diffs the two renders; nothing else
changes), so the ratio is the thumbnails' cost alone. A click that changes the selection cannot
be like for like: a 1-image gallery has nothing else to select, and an earlier version of this
script, alternating first and last thumbnail, compared real selects at 48 with re-selects at 1.

Per click it records the server's wall-clock and CPU time (app/timing.py); CPU time is the
steadier of the two on a shared machine. Prints medians and the 48/1 ratios; asserts nothing.

    .venv/bin/python -m bench.grid_ratio                       # /gcs, 60 clicks per size
    .venv/bin/python -m bench.grid_ratio --paths /gcs /memory --clicks 100
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import Page, Playwright, sync_playwright

from bench.payload import fill
from tests import timing_log
from tests.conftest import chromium_path
from tests.gallery_page import open_gallery, thumbnails, wait_until_shown
from tests.harness import serve


class Gallery:
    """One visitor's page with `size` images, its first thumbnail selected and clicked again."""

    def __init__(self, page: Page, url: str, size: int) -> None:
        open_gallery(page, url)
        fill(page, size)
        self.page, self.size = page, size
        self.first = thumbnails(page).first
        self.name = self.first.get_attribute("alt").removeprefix("Thumbnail: ")
        self.first.click()
        wait_until_shown(page, self.name)
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def click(self, log: Path, record: bool) -> None:
        # Only the server's time matters here: the timing line marks the end of the reply.
        timing = timing_log.timed(log, self.first.click, timeout=60)  # the machine may be busy
        wait_until_shown(self.page, self.name)
        if record:
            self.wall.append(timing["ms"])
            self.cpu.append(timing["cpu_ms"])


def run(url: str, log: Path, pw: Playwright, sizes: tuple[int, int], clicks: int,
        warmup: int) -> None:  # fmt: skip
    galleries, browsers = [], []
    for size in sizes:
        # One browser per gallery, so that each page is its browser's front tab (a background
        # tab may be throttled, and the wait for the viewer's image with it).
        browsers.append(browser := pw.chromium.launch(executable_path=chromium_path()))
        galleries.append(Gallery(browser.new_page(), url, size))
        print(f"{url}: a gallery of {size} image(s) is ready", flush=True)
    for n in range(warmup + clicks):
        # Alternate which size goes first, so neither always follows the other.
        for gallery in galleries if n % 2 == 0 else reversed(galleries):
            gallery.click(log, record=n >= warmup)
    for browser in browsers:
        browser.close()
    small, large = galleries
    for name, pick in (("cpu", lambda g: g.cpu), ("wall", lambda g: g.wall)):
        a, b = statistics.median(pick(small)), statistics.median(pick(large))
        print(
            f"{url.rsplit('/', 1)[1]:>6} re-select, server {name:4} ms, median of {clicks}: "
            f"{small.size} image(s) {a:6.1f} | {large.size} images {b:6.1f} | ratio {b / a:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", nargs="+", default=["/gcs"])
    parser.add_argument("--sizes", nargs=2, type=int, default=[1, 48])
    parser.add_argument("--clicks", type=int, default=60, help="clicks timed per size")
    parser.add_argument("--warmup", type=int, default=5, help="clicks per size not counted")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    log = scratch / "timing.jsonl"
    env = {"GCS_EMULATOR_DATA_DIR": str(scratch / "gcs"), "GALLERY_TIMING_LOG": str(log)}
    with serve("gunicorn", env=env) as server, sync_playwright() as pw:
        for path in args.paths:
            run(server.url + path, log, pw, tuple(args.sizes), args.clicks, args.warmup)


if __name__ == "__main__":
    main()
