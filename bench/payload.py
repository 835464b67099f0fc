"""Bytes per interaction, measured in real Chromium against the app under gunicorn.

For each page and gallery size it records what the browser sent to and received from /__ui__
(Playwright's request.sizes()) for one "Add sample images" click and for one select click.

    .venv/bin/python -m bench.payload                  # /base64 at 1, 12 and 48 images
    .venv/bin/python -m bench.payload --paths /base64 --sizes 12 48 --out bench/results/payload.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import chromium_path
from tests.harness import ROOT, serve
from tests.wire import Traffic, ui_traffic

SAMPLES_PER_CLICK = 12


def fill(page: Page, target: int) -> Traffic:
    """Add samples until the gallery holds `target` images; return the traffic of the last add."""
    last = Traffic(0, 0)
    thumbs = page.get_by_role("img", name="Thumbnail")
    while thumbs.count() < target:
        before = thumbs.count()
        last = ui_traffic(page, page.get_by_role("button", name="Add sample images").click)
        expect(thumbs).to_have_count(before + SAMPLES_PER_CLICK, timeout=120_000)
    if thumbs.count() > target:  # sizes below 12: keep the first `target`, clear the rest
        raise ValueError(f"gallery sizes must be multiples of {SAMPLES_PER_CLICK}, or 1")
    return last


def measure(page: Page, url: str, size: int) -> dict:
    page.goto(url)
    expect(page.get_by_role("button", name="Add sample images")).to_be_enabled()
    if size == 1:
        page.locator("input[type=file]").set_input_files(
            str(sorted((ROOT / "app/gallery/samples").glob("*.jpg"))[0])
        )
        expect(page.get_by_role("img", name="Thumbnail")).to_have_count(1, timeout=60_000)
        add = Traffic(0, 0)
    else:
        add = fill(page, size)
    thumb = page.get_by_role("img", name="Thumbnail").nth(size // 2)
    select = ui_traffic(page, thumb.click)
    expect(page.get_by_role("img", name="Selected")).to_be_visible()
    return {
        "images": size,
        "add_up": add.up,
        "add_down": add.down,
        "select_up": select.up,
        "select_down": select.down,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", nargs="+", default=["/base64"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 12, 48])
    parser.add_argument("--out", type=Path, default=None, help="write the results here as JSON")
    args = parser.parse_args()

    rows = []
    with serve("gunicorn") as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path())
        for path in args.paths:
            for size in args.sizes:
                context = browser.new_context()  # a fresh visit: no state from other pages
                started = time.perf_counter()
                row = {"path": path, **measure(context.new_page(), server.url + path, size)}
                row["seconds"] = round(time.perf_counter() - started, 1)
                context.close()
                rows.append(row)
                print(
                    f"{path:8} {size:3} images: select {row['select_up']:>10,} B up "
                    f"{row['select_down']:>9,} B down | add 12: {row['add_up']:>10,} B up "
                    f"{row['add_down']:>10,} B down"
                )
        browser.close()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "server": "gunicorn, 1 sync worker (production mode)",
            "browser": "chromium",
            "python": platform.python_version(),
            "measured_with": "Playwright request.sizes() on /__ui__",
        }
        args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
