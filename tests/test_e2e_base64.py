"""/base64 in a real Chromium against gunicorn: the contract's flows, and the cost of a click."""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import Page, expect

from tests.harness import Server


def jpeg(width: int = 640, height: int = 480, colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG")
    return out.getvalue()


def open_gallery(page: Page, server: Server, path: str = "/base64") -> None:
    page.goto(server.url + path)
    expect(page.get_by_role("button", name="Add sample images")).to_be_enabled()


def add_samples(page: Page) -> None:
    before = page.get_by_role("img", name="Thumbnail").count()
    page.get_by_role("button", name="Add sample images").click()
    expect(page.get_by_role("img", name="Thumbnail")).to_have_count(before + 12, timeout=60_000)
    expect(page.get_by_role("button", name="Add sample images")).to_be_enabled()


def test_add_select_clear(page: Page, app_server: Server) -> None:
    open_gallery(page, app_server)
    add_samples(page)
    page.get_by_role("img", name="Thumbnail: glacier-noon.jpg").click()
    selected = page.get_by_role("img", name="Selected: glacier-noon.jpg")
    expect(selected).to_be_visible()
    expect(page.get_by_text("1600 × 1067 px")).to_be_visible()
    assert selected.evaluate("img => img.naturalWidth") == 1600
    add_samples(page)  # a second click adds 12 more
    expect(page.get_by_text("24 images")).to_be_visible()
    page.get_by_role("button", name="Clear gallery").click()
    expect(page.get_by_role("img", name="Thumbnail")).to_have_count(0)
    expect(page.get_by_role("img", name="Selected")).to_have_count(0)
