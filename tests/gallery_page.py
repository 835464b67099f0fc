"""Driving a gallery page through the testability contract's names (shared by tests and bench)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

SAMPLES_PER_CLICK = 12


def open_gallery(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("button", name="Add sample images")).to_be_enabled()


def thumbnails(page: Page):
    return page.get_by_role("img", name="Thumbnail")


def add_samples(page: Page) -> None:
    before = thumbnails(page).count()
    page.get_by_role("button", name="Add sample images").click()
    expect(thumbnails(page)).to_have_count(before + SAMPLES_PER_CLICK, timeout=60_000)
    expect(page.get_by_role("button", name="Add sample images")).to_be_enabled()


def upload(page: Page, *files: tuple[str, str, bytes]) -> None:
    payloads = [{"name": n, "mimeType": m, "buffer": b} for n, m, b in files]
    page.locator("input[type=file]").set_input_files(payloads)
    wait_until_uploaded(page)


def wait_until_uploaded(page: Page, timeout: float = 60_000) -> None:
    """Until the page is done with an upload: on /gcs, the browser's own uploads to the bucket
    and the server's processing (<direct-upload> is busy until the server says it is done)."""
    expect(page.locator("direct-upload[data-state=busy]")).to_have_count(0, timeout=timeout)
    expect(page.get_by_role("button", name="Add sample images")).to_be_enabled(timeout=timeout)


def select(page: Page, name: str) -> None:
    page.get_by_role("img", name=f"Thumbnail: {name}").last.click()
    wait_until_shown(page, name)


def wait_until_shown(page: Page, name: str) -> None:
    """Until the viewer's image has loaded (decoded), not merely until its element exists."""
    selected = page.get_by_role("img", name=f"Selected: {name}")
    expect(selected).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=selected.element_handle()
    )


def expect_messages(page: Page, *texts: str) -> None:
    """Each text visible on the page (messages: refusals, errors)."""
    for text in texts:
        expect(page.get_by_text(text)).to_be_visible()
