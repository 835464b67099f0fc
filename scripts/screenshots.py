"""Make the README's screenshots: real Chromium against the app under gunicorn.

.venv/bin/python scripts/screenshots.py        # writes docs/img/*.png
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.conftest import chromium_path
from tests.harness import ROOT, serve

OUT = ROOT / "docs" / "img"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with serve("gunicorn") as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path())
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server.url + "/")
        page.get_by_role("button", name="Base64 in state").first.wait_for()
        page.screenshot(path=OUT / "home.png")
        page.goto(server.url + "/base64")
        page.get_by_role("button", name="Add sample images").click()
        expect(page.get_by_role("img", name="Thumbnail")).to_have_count(12, timeout=60_000)
        page.get_by_role("img", name="Thumbnail: glacier-noon.jpg").click()
        page.get_by_role("img", name="Selected: glacier-noon.jpg").wait_for()
        page.wait_for_timeout(500)
        page.screenshot(path=OUT / "base64.png")
        browser.close()
    for name in ("home", "base64"):
        print(OUT / f"{name}.png")


if __name__ == "__main__":
    main()
