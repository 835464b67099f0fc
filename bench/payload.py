"""Bytes and time per interaction, measured in real Chromium against the app under gunicorn.

For each page and gallery size: what the browser sent to and received from /__ui__ (Playwright's
request.sizes()) for the last "Add sample images" click and for a select click, the image bytes
the select fetched from elsewhere (storage), and the time of a select click (median and p95 of
`--clicks` clicks, request sent to response end, on loopback: server time plus a little).

    .venv/bin/python -m bench.payload                 # /base64, /memory and /gcs at 1, 12, 48
    .venv/bin/python -m bench.payload --paths /gcs --sizes 1 48 --clicks 40 --out results.json
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, Request, expect, sync_playwright

from tests.conftest import chromium_path
from tests.gallery_page import SAMPLES_PER_CLICK, open_gallery, thumbnails, wait_until_shown
from tests.harness import ROOT, serve
from tests.wire import Traffic, ui_traffic

RESULTS = ROOT / "bench" / "results"


def fill(page: Page, size: int) -> Traffic:
    """Bring the gallery to `size` images; return the /__ui__ traffic of the last addition."""
    if size == 1:
        sample = sorted((ROOT / "app/gallery/samples").glob("*.jpg"))[0]
        button = page.locator("input[type=file]")
        traffic = ui_traffic(page, lambda: button.set_input_files(str(sample)))
        expect(thumbnails(page)).to_have_count(1, timeout=60_000)
        return traffic
    if size % SAMPLES_PER_CLICK:
        raise SystemExit(f"gallery sizes must be 1 or multiples of {SAMPLES_PER_CLICK}")
    traffic = Traffic(0, 0)
    while thumbnails(page).count() < size:
        button = page.get_by_role("button", name="Add sample images")
        before = thumbnails(page).count()
        traffic = ui_traffic(page, button.click)
        expect(thumbnails(page)).to_have_count(before + SAMPLES_PER_CLICK, timeout=120_000)
    return traffic


def server_ms(log: Path, after_line: int) -> float:
    """The server's time for the /__ui__ request logged after `after_line` (app/timing.py)."""
    for _ in range(200):
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) > after_line:
            return json.loads(lines[after_line])["ms"]
        time.sleep(0.01)
    raise RuntimeError(f"no timing line in {log}: is GALLERY_TIMING_LOG set for the server?")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))], 1)


def measure(page: Page, url: str, size: int, clicks: int, log: Path) -> dict:
    media: list[int] = []

    def on_finished(request: Request) -> None:
        if "/__ui__" not in request.url and request.resource_type == "image":
            media.append(max(0, request.sizes()["responseBodySize"]))

    open_gallery(page, url)
    add = fill(page, size)
    page.on("requestfinished", on_finished)
    cards = thumbnails(page)
    names = [cards.nth(i).get_attribute("alt").removeprefix("Thumbnail: ") for i in (0, size - 1)]
    selects: list[Traffic] = []
    server: list[float] = []
    first_media = 0
    for n in range(clicks):
        index = 0 if n % 2 == 0 else size - 1  # alternate, so every click changes the viewer
        media.clear()
        logged = len(log.read_text().splitlines()) if log.exists() else 0
        selects.append(ui_traffic(page, cards.nth(index).click))
        server.append(server_ms(log, logged))
        wait_until_shown(page, names[n % 2] if size > 1 else names[0])
        page.wait_for_timeout(50)
        if n == 0:
            first_media = sum(media)
    browser = [t.ms for t in selects]
    return {
        "images": size,
        "add_up": add.up,
        "add_down": add.down,
        "select_up": selects[0].up,
        "select_down": selects[0].down,
        "select_media": first_media,
        "reselect_media": sum(media),
        "select_server_ms_median": round(statistics.median(server), 2),
        "select_server_ms_p95": percentile(server, 0.95),
        "select_browser_ms_median": round(statistics.median(browser), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", nargs="+", default=["/base64", "/memory", "/gcs"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 12, 48])
    parser.add_argument("--clicks", type=int, default=20, help="select clicks timed per case")
    parser.add_argument("--out", type=Path, default=RESULTS / "payload.json")
    args = parser.parse_args()

    rows = []
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    log = scratch / "timing.jsonl"
    env = {"GCS_EMULATOR_DATA_DIR": str(scratch / "gcs"), "GALLERY_TIMING_LOG": str(log)}
    with serve("gunicorn", env=env) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path())
        for path in args.paths:
            for size in args.sizes:
                context = browser.new_context()  # a fresh visit: no state from other pages
                page = context.new_page()
                row = {"path": path, **measure(page, server.url + path, size, args.clicks, log)}
                context.close()
                rows.append(row)
                print(
                    f"{path:8} {size:3} images | select: {row['select_up']:>10,} B up "
                    f"{row['select_down']:>9,} B down {row['select_media']:>8,} B media, "
                    f"server {row['select_server_ms_median']:>6} ms median "
                    f"{row['select_server_ms_p95']:>6} p95 | "
                    f"last add: {row['add_up']:>10,} B up {row['add_down']:>10,} B down"
                )
        browser.close()
    meta = {
        "server": "gunicorn app.main:app, 1 sync worker (production mode), loopback",
        "browser": "chromium (headless)",
        "python": platform.python_version(),
        "measured_with": "Playwright request.sizes() on /__ui__; server time from app/timing.py",
        "clicks_per_case": args.clicks,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
