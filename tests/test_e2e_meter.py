"""The payload meter against the browser's own byte counts, on every pattern's page, and the
overview's side-by-side comparison built from what the meters measured."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from app.patterns import PATHS
from tests import images
from tests.gallery_page import add_samples, open_gallery, upload, wait_until_shown
from tests.harness import Server
from tests.wire import MediaLog, ui_traffic

ATTRIBUTES = ["up", "down", "media", "total-up", "total-down", "total-media", "requests"]


@dataclass(frozen=True)
class Counted:
    up: int
    down: int
    media: int


def close_enough(meter: int, browser: int) -> bool:
    """The issue's tolerance: 2 % + 64 bytes (the meter cannot see HTTP framing)."""
    return abs(meter - browser) <= 0.02 * browser + 64


def meter_reading(page: Page) -> dict[str, int]:
    meter = page.locator("payload-meter")
    return {name: int(meter.get_attribute(f"data-meter-{name}") or -1) for name in ATTRIBUTES}


def click_and_count(page: Page, name: str) -> Counted:
    """Select a thumbnail; what the browser itself moved for it (Playwright's request.sizes())."""
    images = MediaLog(page)
    clicked_at = time.time() * 1000  # the browser's clock: the same machine's
    try:
        ui = ui_traffic(page, lambda: page.get_by_role("img", name=f"Thumbnail: {name}").click())
        wait_until_shown(page, name)  # the selected image has loaded
        # Only images requested after the click: a thumbnail of the last "Add" still arriving
        # belongs to that click (the meter credits it there too).
        media = sum(size for _, size in images.take(since=clicked_at))
    finally:
        images.stop()
    return Counted(ui.up, ui.down, media)


def wait_for_meter(page: Page, expected: Counted, requests: int) -> dict[str, int]:
    """The meter updates when the reply ends and again when images arrive: wait until it has
    counted this click, then until it agrees with the browser (or time out and show both)."""
    try:
        page.wait_for_function(
            """([requests, up, down, media]) => {
            const m = document.querySelector('payload-meter');
            const near = (a, b) => Math.abs(Number(a) - b) <= 0.02 * b + 64;
            return m && Number(m.dataset.meterRequests) >= requests && near(m.dataset.meterUp, up)
                && near(m.dataset.meterDown, down) && near(m.dataset.meterMedia, media);
        }""",
            arg=[requests, expected.up, expected.down, expected.media],
            timeout=20_000,
        )
    except PlaywrightTimeoutError:
        raise AssertionError(f"meter {meter_reading(page)} != browser {expected}") from None
    return meter_reading(page)


def check_select_and_reselect(page: Page, path: str) -> dict[str, int]:
    before = meter_reading(page)
    first = click_and_count(page, "glacier-noon.jpg")
    reading = wait_for_meter(page, first, before["requests"] + 1)
    other = click_and_count(page, "desert-dusk.jpg")
    wait_for_meter(page, other, before["requests"] + 2)
    again = click_and_count(page, "glacier-noon.jpg")
    last = wait_for_meter(page, again, before["requests"] + 3)

    for meter, browser in [
        (reading["up"], first.up),
        (reading["down"], first.down),
        (reading["media"], first.media),
        (last["up"], again.up),
        (last["down"], again.down),
        (last["media"], again.media),
    ]:
        assert close_enough(meter, browser), (path, meter, browser)
    src = page.get_by_role("img", name="Selected: glacier-noon.jpg").get_attribute("src") or ""
    if not src.startswith("data:"):
        # The image came by URL (the bucket, the app's route), outside /__ui__, once:
        # re-selecting it cost nothing.
        assert first.media > 100_000 and again.media == 0 and last["media"] == 0
    else:
        assert first.media == 0  # data URLs arrive inside the /__ui__ reply
    # The visit adds up: totals grew by at least this click's bytes.
    assert last["total-up"] - reading["total-up"] >= other.up + again.up
    assert last["total-media"] >= reading["media"]
    return last


def check_quick_clicks_credit_each_image_to_its_click(page: Page) -> dict[str, int]:
    """Two selects in a row, the second sent while the first one's image is still on its way:
    each image is credited to the click that showed it, not to whichever click came last."""
    before = meter_reading(page)
    images = MediaLog(page)
    try:
        page.get_by_role("img", name="Thumbnail: ocean-cliffs.jpg").click()
        page.get_by_role("img", name="Thumbnail: alpine-dawn.jpg").click()
        wait_until_shown(page, "alpine-dawn.jpg")
        src = page.get_by_role("img", name="Selected: alpine-dawn.jpg").get_attribute("src")
        for _ in range(100):  # its requestfinished event may come just after the image shows
            if any(r.url == src for r in images.requests):
                break
            page.wait_for_timeout(100)
        fetched = images.take()
    finally:
        images.stop()
    shown = sum(size for url, size in fetched if url == src)
    everything = sum(size for _, size in fetched)
    print(f"\nquick clicks: {shown} B credited to the second, {everything} B fetched in all")
    page.wait_for_function(
        """([requests, media, total]) => {
            const m = document.querySelector('payload-meter');
            return Number(m.dataset.meterRequests) >= requests
                && Number(m.dataset.meterMedia) === media
                && Number(m.dataset.meterTotalMedia) === total;
        }""",
        arg=[before["requests"] + 2, shown, before["total-media"] + everything],
        timeout=10_000,
    )
    return meter_reading(page)


def check_upload_is_not_state(page: Page) -> None:
    """An upload's files travel beside the state: a 1.9 MB file must not read as 1.9 MB state."""
    upload(page, ("noise.png", "image/png", images.noise_png(800, 800)))
    meter = page.locator("payload-meter")
    expect(meter).not_to_have_attribute("data-meter-up", re.compile(r"^\d{1,6}$"))  # > 1 MB up
    assert int(meter.get_attribute("data-meter-state") or -1) < 64 * 1024
    expect(meter).to_have_attribute("data-meter-storage-up", "0")
    expect(page.get_by_role("status").filter(has_text="state is over 1 MB")).to_have_count(0)


def check_upload_goes_to_storage(page: Page) -> None:
    """/gcs: the browser sends the file to the bucket, and the meter says so ("to storage");
    the click that reports it to Mesop is small."""
    noise = images.noise_png(800, 800)
    before = int(page.locator("payload-meter").get_attribute("data-meter-total-storage-up") or 0)
    with page.expect_request(lambda r: r.method == "PUT") as put:
        upload(page, ("noise.png", "image/png", noise))
    assert "/incoming/" in put.value.url and not put.value.url.startswith(page.url.split("/gcs")[0])
    meter = page.locator("payload-meter")
    expect(meter).to_have_attribute("data-meter-storage-up", str(len(noise)))
    expect(meter).to_have_attribute("data-meter-total-storage-up", str(before + len(noise)))
    assert int(meter.get_attribute("data-meter-up") or -1) < 16_000
    assert int(meter.get_attribute("data-meter-state") or -1) < 64 * 1024
    expect(meter.get_by_text("to storage")).to_have_count(2)  # the last click, and the visit


def test_meter_matches_the_browser_and_the_overview_compares_the_pages(
    page: Page, app_server: Server
) -> None:
    measured = {}
    for path in PATHS:
        open_gallery(page, app_server.url + path)
        expect(page.locator("payload-meter")).to_have_attribute("data-meter-requests", "1")
        add_samples(page)
        measured[path] = check_select_and_reselect(page, path)
        if path == "/gcs":
            measured[path] = check_quick_clicks_credit_each_image_to_its_click(page)
            check_upload_goes_to_storage(page)
        if path == "/memory":
            check_upload_is_not_state(page)
        warning = page.get_by_role("status").filter(has_text="state is over 1 MB")
        if path == "/base64":
            expect(warning).to_be_visible()  # 12 photos in state: 3.5 MB sent with every click
        else:
            expect(warning).to_have_count(0)

    # The overview, in the same tab: each pattern's select click, as its meter measured it.
    page.get_by_role("button", name="Overview").click()
    comparison = page.locator("payload-comparison")
    expect(comparison).to_have_attribute("data-compared-pages", str(len(PATHS)))
    for path, reading in measured.items():
        row = comparison.locator(f'[data-compare-path="{path}"]')
        for name in ("up", "down", "media"):
            # The page's last select click, as its meter showed it.
            assert row.get_attribute(f"data-compare-{name}") == str(reading[name]), (path, name)
    up = {path: reading["up"] for path, reading in measured.items()}
    assert up["/base64"] > 1000 * up["/gcs"]  # megabytes against hundreds of bytes
