"""The payload meter as a drop-in diagnostic: in an app that is not this gallery, what it says is
heavy, and what it says a click costs on a real network (issue: the meter for any Mesop app).

The foreign app is a counter with a large string in state, with app/meter copied beside it, as
the README tells a Mesop developer to do, served by gunicorn from its own folder. The network
estimates are checked against the same click in Chromium under Chrome's own network emulation
(CDP Network.emulateNetworkConditions), with the profiles the meter uses.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from app.meter.meter import profiles
from app.patterns import PATTERNS
from tests.gallery_page import add_samples, open_gallery, wait_until_shown
from tests.harness import ROOT, Server, serve
from tests.network import throttle
from tests.wire import ui_traffic

FOREIGN_APP = """
import mesop as me

from meter import payload_meter


@me.stateclass
class Counter:
    count: int
    notes: str


def add_one(event: me.ClickEvent) -> None:
    me.state(Counter).count += 1


def make_heavy(event: me.ClickEvent) -> None:
    me.state(Counter).notes = "x" * 300_000


@me.page(path="/")
def page() -> None:
    payload_meter()
    me.text(f"Count: {me.state(Counter).count}")
    me.button("Add one", on_click=add_one)
    me.button("Make it heavy", on_click=make_heavy)


app = me.create_wsgi_app()
"""


def foreign_app(folder: Path) -> Path:
    """A Mesop app of its own: main.py and a copy of app/meter, nothing else of this project
    (also what scripts/screenshots.py shows in the README)."""
    shutil.copytree(ROOT / "app" / "meter", folder / "meter")
    (folder / "main.py").write_text(FOREIGN_APP)
    return folder


def use_the_foreign_app(page: Page) -> None:
    """Make the note heavy, then count: the click the README's screenshot shows."""
    ui_traffic(page, lambda: page.get_by_role("button", name="Make it heavy").click())


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = foreign_app(tmp_path_factory.mktemp("foreign"))
    logs = tmp_path_factory.mktemp("logs")
    with serve("gunicorn", wsgi_app="main:app", cwd=folder, log_dir=logs) as server:
        yield server


def meter_value(page: Page, name: str) -> str:
    return page.locator("payload-meter").get_attribute(f"data-meter-{name}") or ""


def test_the_meter_drops_into_another_app_and_agrees_with_chromium(
    page: Page, foreign: Server
) -> None:
    page.goto(foreign.url)
    expect(page.get_by_text("Count: 0")).to_be_visible()
    use_the_foreign_app(page)
    counted = ui_traffic(page, lambda: page.get_by_role("button", name="Add one").click())
    expect(page.get_by_text("Count: 1")).to_be_visible()
    page.wait_for_function(
        "n => document.querySelector('payload-meter')?.dataset.meterRequests == n", arg="3"
    )
    page.wait_for_function(
        "() => document.querySelector('payload-meter')?.dataset.meterHeaviest === 'Counter.notes'"
    )
    assert int(meter_value(page, "up")) == counted.up  # the request body, exactly
    assert abs(int(meter_value(page, "down")) - counted.down) <= 64  # the reply, framing aside
    fields = json.loads(meter_value(page, "fields"))
    assert fields[0] == {"state": "Counter", "field": "notes", "bytes": 300_002}
    assert {"state": "Counter", "field": "count", "bytes": 1} in fields
    assert counted.up > 400_000  # the note went up again with the counter's click: the lesson
    expect(page.locator("payload-meter")).to_contain_text("Heaviest fields: Counter.notes 300 kB")
    estimates = json.loads(meter_value(page, "estimates"))
    assert set(estimates) == {p["name"] for p in profiles()}


def select_timed(page: Page, name: str) -> float:
    """Milliseconds from the click to the selected image shown (loaded), by the page's clock:
    the page notes when the image is complete, so the test's polling adds nothing."""
    page.evaluate("window.__shownAt = 0")
    started = page.evaluate("performance.now()")
    page.get_by_role("img", name=f"Thumbnail: {name}").click()
    page.wait_for_function(
        """name => {
            const img = document.querySelector(`img[alt="Selected: ${name}"]`);
            if (img && img.complete && img.naturalWidth > 0) {
                window.__shownAt = window.__shownAt || performance.now();
                return true;
            }
            return false;
        }""",
        arg=name,
        polling="raf",
        timeout=180_000,
    )
    return page.evaluate("window.__shownAt") - started


@pytest.mark.parametrize("path", [p.path for p in PATTERNS])
def test_the_4g_estimate_is_within_a_quarter_of_the_emulated_click(
    browser: Browser, app_server: Server, path: str
) -> None:
    """A select at 12 images: the meter's estimate for the 4G profile from an unthrottled select,
    against the next select under Chrome's emulation of that profile."""
    profile = next(p for p in profiles() if p["name"] == "4G phone")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        open_gallery(page, app_server.url + path)
        add_samples(page)
        select_timed(page, "desert-dusk.jpg")
        select_timed(page, "alpine-dawn.jpg")  # the estimate comes from this one
        page.wait_for_function(
            "() => (document.querySelector('payload-meter')?.dataset.meterEstimates || '')"
            ".includes('4G')"
        )
        time.sleep(0.5)  # images of the select still arriving are credited to it
        estimate = json.loads(meter_value(page, "estimates"))[profile["name"]]
        throttle(page, profile)
        measured = select_timed(page, "glacier-noon.jpg")
        throttle(page, None)
        print(f"\n{path}: 4G estimate {estimate} ms, emulated {measured:.0f} ms")
        assert abs(estimate - measured) <= 0.25 * measured
        if path == "/base64":
            assert meter_value(page, "heaviest") == "Base64GalleryState.images"
    finally:
        page.context.close()


def test_gallery_and_meter_are_on_screen_together(page: Page, app_server: Server) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    for pattern in PATTERNS:
        open_gallery(page, app_server.url + pattern.path)
        add_samples(page)
        page.get_by_role("img", name="Thumbnail: alpine-dawn.jpg").first.click()
        wait_until_shown(page, "alpine-dawn.jpg")
        expect(page.get_by_role("img", name="Thumbnail").first).to_be_in_viewport()
        expect(page.get_by_role("img", name="Selected: alpine-dawn.jpg")).to_be_in_viewport()
        expect(page.locator("payload-meter").get_by_text("▲ up").first).to_be_in_viewport()
        page.get_by_role("button", name="Clear gallery").click()
