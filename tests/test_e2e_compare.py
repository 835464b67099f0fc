"""/compare: every pattern's page in a frame, driven together by two buttons, with a live table of
what each meter measured for the same click."""

from __future__ import annotations

from playwright.sync_api import FrameLocator, Page, expect

from app.patterns import PATTERNS
from tests.harness import Server

SAMPLES = 12


def frame(page: Page, label: str) -> FrameLocator:
    return page.frame_locator(f'iframe[title="{label}, live"]')


def test_one_click_reaches_every_pattern_and_the_table_compares_them(
    page: Page, app_server: Server
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(app_server.url + "/compare")
    add = page.get_by_role("button", name="Add sample images", exact=True)
    next_image = page.get_by_role("button", name="Next image")
    expect(add).to_be_in_viewport()
    expect(next_image).to_be_in_viewport()
    for pattern in PATTERNS:  # every frame's own page is up, embedded: no navigation bar
        inner = frame(page, pattern.label)
        expect(inner.get_by_role("button", name="Add sample images")).to_be_enabled()
        expect(inner.get_by_role("button", name="Overview")).to_have_count(0)
    add.click()
    for pattern in PATTERNS:
        thumbs = frame(page, pattern.label).get_by_role("img", name="Thumbnail")
        expect(thumbs).to_have_count(SAMPLES, timeout=60_000)
    next_image.click()
    chosen = page.locator("side-by-side").get_attribute("data-selected")
    assert chosen
    for pattern in PATTERNS:  # the same image, selected in every frame
        shown = frame(page, pattern.label).get_by_role("img", name=f"Selected: {chosen}")
        expect(shown).to_be_visible(timeout=30_000)
    # The table reads each frame's meter: the same click, four costs.
    rows = {}
    for pattern in PATTERNS:
        meter = frame(page, pattern.label).locator("payload-meter")
        expect(meter).to_contain_text(f"Last: select {chosen}")
        up = meter.get_attribute("data-meter-up")
        row = page.locator(f'side-by-side [data-compare-path="{pattern.path}"]')
        expect(row).to_have_attribute("data-compare-up", up)  # the table shows that click
        rows[pattern.path] = int(up)
    print(f"\nbytes up for the same select: {rows}")
    assert rows["/base64"] > 1_000_000  # the state carries the gallery
    assert all(up < 5_000 for path, up in rows.items() if path != "/base64")
    next_image.click()  # and again: the next one
    second = page.locator("side-by-side").get_attribute("data-selected")
    assert second and second != chosen
    shown = frame(page, PATTERNS[-1].label).get_by_role("img", name=f"Selected: {second}")
    expect(shown).to_be_visible(timeout=30_000)
