"""The gallery's flows on every pattern's page, in a real Chromium against gunicorn."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from app.gallery import samples
from app.patterns import PATHS
from tests import images
from tests.gallery_page import (
    add_samples,
    expect_messages,
    open_gallery,
    select,
    thumbnails,
    upload,
    wait_until_shown,
)
from tests.harness import Server
from tests.wire import ui_traffic


@pytest.mark.parametrize("path", PATHS)
def test_add_select_clear(page: Page, app_server: Server, path: str) -> None:
    open_gallery(page, app_server.url + path)
    expect(page.get_by_text("The gallery is empty")).to_be_visible()
    add_samples(page)
    select(page, "glacier-noon.jpg")
    selected = page.get_by_role("img", name="Selected: glacier-noon.jpg")
    expect(page.get_by_text("1600 × 1067 px")).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=selected.element_handle()
    )
    assert selected.evaluate("img => img.naturalWidth") == 1600
    select(page, "desert-dusk.jpg")
    add_samples(page)  # a second click adds 12 more
    expect(page.get_by_text("24 images")).to_be_visible()
    page.get_by_role("button", name="Clear gallery").click()
    expect(thumbnails(page)).to_have_count(0)
    expect(page.get_by_role("img", name="Selected")).to_have_count(0)
    expect(page.get_by_text("0 images")).to_be_visible()


@pytest.mark.parametrize("path", PATHS)
def test_upload_several_files(page: Page, app_server: Server, path: str) -> None:
    open_gallery(page, app_server.url + path)
    upload(
        page,
        ("beach.jpg", "image/jpeg", images.jpeg(2400, 1600)),
        ("poster.png", "image/png", images.png(300, 900)),
    )
    expect(thumbnails(page)).to_have_count(2)
    select(page, "poster.png")
    expect(page.get_by_text("300 × 900 px")).to_be_visible()
    select(page, "beach.jpg")
    expect(page.get_by_text("1600 × 1067 px")).to_be_visible()


@pytest.mark.parametrize("path", PATHS)
def test_refused_upload_names_file_and_reason_and_keeps_gallery(
    page: Page, app_server: Server, path: str
) -> None:
    open_gallery(page, app_server.url + path)
    upload(page, ("keep.jpg", "image/jpeg", images.jpeg()))
    expect(thumbnails(page)).to_have_count(1)
    upload(
        page,
        ("empty.jpg", "image/jpeg", b""),
        ("notes.jpg", "image/jpeg", b"just some text, not a JPEG"),
        ("cut.jpg", "image/jpeg", images.truncated_jpeg()),
        ("logo.svg", "image/svg+xml", images.SVG),
        ("paper.pdf", "application/pdf", images.PDF),
        ("fine.png", "image/png", images.png(100, 100)),
    )
    # The server refuses what it reads; /gcs's browser keeps back what it can tell from the
    # file's size and type before sending it, and says so in the same words.
    checked_first = "Not sent:" if path == "/gcs" else "Refused"
    expect_messages(
        page,
        f"{checked_first} empty.jpg: the file is empty",
        "Refused notes.jpg: not a readable image",
        "Refused cut.jpg: the image data is truncated or corrupt",
        f"{checked_first} logo.svg: SVG (vector) images are not supported",
        f"{checked_first} paper.pdf: PDF documents are not images",
    )
    # The gallery kept what it had, and the one good file of the batch went through.
    expect(thumbnails(page)).to_have_count(2)
    expect(page.get_by_role("img", name="Thumbnail: keep.jpg")).to_be_visible()
    expect(page.get_by_role("img", name="Thumbnail: fine.png")).to_be_visible()
    expect(page.get_by_text("Traceback")).to_have_count(0)
    # The messages belong to that upload: the next action clears them.
    add_samples(page)
    # (Visible text only: the page's key code, folded away, has "Refused" in it.)
    expect(page.get_by_text("Refused").filter(visible=True)).to_have_count(0)


def test_base64_select_click_uploads_the_whole_state(page: Page, app_server: Server) -> None:
    """The point of the /base64 page: with 12 photos, one select click sends over 1 MB up."""
    open_gallery(page, app_server.url + "/base64")
    add_samples(page)
    thumb = page.get_by_role("img", name="Thumbnail: alpine-dawn.jpg")
    traffic = ui_traffic(page, thumb.click)
    expect(page.get_by_role("img", name="Selected: alpine-dawn.jpg")).to_be_visible()
    print(f"\n/base64 select click at 12 images: {traffic.up:,} bytes up, {traffic.down:,} down")
    assert traffic.up > 1_000_000


def test_the_grid_keeps_order_across_chunks_and_selects_from_the_keyboard(
    page: Page, app_server: Server
) -> None:
    """The thumbnails arrive in chunks of 12 (app/gallery/thumbnails.py) and are drawn as one grid;
    each is focusable and selected with Enter or Space, and exactly one is marked as selected."""
    open_gallery(page, app_server.url + "/gcs")
    add_samples(page)
    add_samples(page)  # a second chunk
    alts = thumbnails(page).evaluate_all("imgs => imgs.map(img => img.alt)")
    expected = [f"Thumbnail: {samples.sample_name(f)}" for f in samples.SAMPLE_FILES[:12]]
    assert alts == expected * 2

    marked = "imgs => imgs.findIndex(img => img.getAttribute('aria-current') === 'true')"
    focused = "imgs => imgs.indexOf(document.activeElement)"
    thumbnails(page).nth(13).focus()
    page.keyboard.press("Enter")
    wait_until_shown(page, alts[13].removeprefix("Thumbnail: "))
    expect(page.locator("img[aria-current=true]")).to_have_count(1)
    assert thumbnails(page).evaluate_all(marked) == 13
    assert thumbnails(page).evaluate_all(focused) == 13  # the reply did not take the focus away

    page.keyboard.press("Shift+Tab")  # the thumbnail before it
    page.keyboard.press(" ")
    wait_until_shown(page, alts[12].removeprefix("Thumbnail: "))
    expect(page.locator("img[aria-current=true]")).to_have_count(1)
    assert thumbnails(page).evaluate_all(marked) == 12
