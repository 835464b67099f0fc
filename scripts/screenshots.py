"""Make the README's screenshots: real Chromium against the app under gunicorn.

.venv/bin/python -m scripts.screenshots   # docs/img/<pattern>.png, home.png, compare.png,
                                          # meter-foreign.png (the meter in another app)

The gallery pages are shot from their payload meter down, after adding the samples and selecting
the first (the click the benchmark measures, and /compare's first "Next image", so that the
workshop's checkpoints, the shots and bench/results show the same figures); the overview last, so
its comparison shows what every meter measured in this browser.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from app.patterns import PATHS, PATTERNS
from tests.conftest import chromium_path
from tests.gallery_page import add_samples, open_gallery, select
from tests.harness import ROOT, serve
from tests.test_e2e_meter_dropin import foreign_app, use_the_foreign_app

OUT = ROOT / "docs" / "img"
LABELS = [p.label for p in PATTERNS]
FIRST_SAMPLE = "alpine-dawn.jpg"  # the first thumbnail after "Add sample images"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    env = {"GCS_EMULATOR_DATA_DIR": tempfile.mkdtemp(prefix="screenshots-")}
    with serve("gunicorn", env=env) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path())
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for path in PATHS:
            open_gallery(page, server.url + path)
            add_samples(page)
            select(page, FIRST_SAMPLE)
            page.wait_for_timeout(500)  # the meter counts the image once it has arrived
            meter = page.locator("payload-meter")
            meter.evaluate("m => m.scrollIntoView()")
            page.screenshot(path=OUT / f"{path.strip('/')}.png")
            # What the shot shows, for its alt text in the README.
            figures = {k: meter.get_attribute(f"data-meter-{k}") for k in ("up", "down", "media")}
            print(path, "last click:", ", ".join(f"{k} {v} B" for k, v in figures.items()))
        page.get_by_role("button", name="Overview").click()
        page.locator(f"payload-comparison[data-compared-pages='{len(PATHS)}']").wait_for()
        page.screenshot(path=OUT / "home.png", full_page=True)
        shoot_compare(browser, server.url)
        shoot_foreign_meter(browser)
        browser.close()
    for name in [*(path.strip("/") for path in PATHS), "home", "compare", "meter-foreign"]:
        print(OUT / f"{name}.png")


def shoot_compare(browser: Browser, url: str) -> None:
    """/compare on a 1280x800 window, after "Add sample images" and "Next image"."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url + "/compare")
    for label in LABELS:
        frame = page.frame_locator(f'iframe[title="{label}, live"]')
        frame.get_by_role("button", name="Add sample images").wait_for()
    page.get_by_role("button", name="Add sample images", exact=True).click()
    for label in LABELS:
        frame = page.frame_locator(f'iframe[title="{label}, live"]')
        frame.get_by_role("img", name="Thumbnail").nth(11).wait_for(timeout=60_000)
    page.get_by_role("button", name="Next image").click()
    page.wait_for_timeout(2000)  # the table reads the meters as the replies and images arrive
    page.screenshot(path=OUT / "compare.png")
    page.close()


def shoot_foreign_meter(browser: Browser) -> None:
    """The meter dropped into a counter app (tests/test_e2e_meter_dropin.py's), after its
    heavy click and one count."""
    folder = foreign_app(Path(tempfile.mkdtemp(prefix="foreign-")))
    with serve("gunicorn", wsgi_app="main:app", cwd=folder) as server:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(server.url)
        use_the_foreign_app(page)
        page.get_by_role("button", name="Add one").click()
        page.get_by_text("Count: 1").wait_for()
        page.wait_for_function(
            "() => document.querySelector('payload-meter')?.dataset.meterHeaviest"
        )
        page.screenshot(path=OUT / "meter-foreign.png")
        page.close()


if __name__ == "__main__":
    main()
