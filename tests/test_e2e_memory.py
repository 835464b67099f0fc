"""/memory in real Chromium against gunicorn: light clicks, and honest failures across processes."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.gallery_page import add_samples, open_gallery, select, thumbnails
from tests.harness import Server, serve
from tests.procs import stop_worker
from tests.wire import answered_by, ui_traffic

GONE = "This gallery is not in this server process"


def served_by(page: Page) -> int:
    text = page.get_by_text("this page was served by process").inner_text()
    return int(re.search(r"process (\d+)", text).group(1))


def test_select_clicks_upload_little_at_12_and_48(page: Page, app_server: Server) -> None:
    open_gallery(page, app_server.url + "/memory")
    for size in (12, 48):
        while thumbnails(page).count() < size:
            add_samples(page)
        thumb = page.get_by_role("img", name="Thumbnail: canyon-sunset.jpg").last
        traffic = ui_traffic(page, thumb.click)
        expect(page.get_by_role("img", name="Selected: canyon-sunset.jpg")).to_be_visible()
        print(f"\n/memory select at {size}: {traffic.up} B up, {traffic.down:,} B down")
        assert traffic.up <= 1536


def test_adding_samples_moves_at_most_60_percent_of_base64(page: Page, app_server: Server) -> None:
    moved = {}
    for path in ("/base64", "/memory"):
        open_gallery(page, app_server.url + path)
        traffic = ui_traffic(page, page.get_by_role("button", name="Add sample images").click)
        expect(thumbnails(page)).to_have_count(12, timeout=60_000)
        moved[path] = traffic.up + traffic.down
    ratio = moved["/memory"] / moved["/base64"]
    print(f"\nadd 12 samples: /base64 {moved['/base64']:,} B, /memory {moved['/memory']:,} B "
          f"({ratio:.0%})")  # fmt: skip
    assert ratio <= 0.60


def test_reload_keeps_the_gallery_in_the_same_process(page: Page, app_server: Server) -> None:
    open_gallery(page, app_server.url + "/memory")
    add_samples(page)
    assert "gallery=" in page.url
    page.reload()
    expect(thumbnails(page)).to_have_count(12)
    select(page, "forest-mist.jpg")


def test_a_restarted_server_says_the_gallery_is_gone(page: Page, tmp_path: Path) -> None:
    env = {"GCS_EMULATOR_DATA_DIR": str(tmp_path / "gcs")}
    with serve("gunicorn", env=env, log_dir=tmp_path) as server:
        open_gallery(page, server.url + "/memory")
        add_samples(page)
        query = page.url.split("?", 1)[1]
    with serve("gunicorn", env=env, log_dir=tmp_path) as server:
        page.goto(f"{server.url}/memory?{query}")
        expect(page.get_by_text(re.compile(f"^{GONE}.*does not survive restarts"))).to_be_visible()
        # Adding starts a new gallery, in this process.
        add_samples(page)
        expect(thumbnails(page)).to_have_count(12)
        expect(page.get_by_text(re.compile(f"^{GONE}"))).to_have_count(0)


def test_two_workers_without_affinity_explain_the_missing_gallery(
    page: Page, tmp_path: Path
) -> None:
    """The holder is stopped (a browser keeps its connection to one worker, so waiting for the
    other to answer by chance proves little): the next page load must reach another process."""
    env = {"GCS_EMULATOR_DATA_DIR": str(tmp_path / "gcs")}
    with serve("gunicorn", env=env, workers=2, log_dir=tmp_path) as server:
        open_gallery(page, server.url + "/memory")
        holder = answered_by(page, lambda: add_samples(page))
        stop_worker(holder)
        page.reload()
        page.get_by_text("this page was served by process").wait_for()
        assert served_by(page) != holder
        expect(page.get_by_text(re.compile(f"^{GONE}.*needs session affinity"))).to_be_visible()
        expect(page.get_by_text("Traceback")).to_have_count(0)


def test_an_expired_gallery_says_so(page: Page, tmp_path: Path) -> None:
    env = {"GCS_EMULATOR_DATA_DIR": str(tmp_path / "gcs"), "MEMORY_TTL_SECONDS": "2"}
    with serve("gunicorn", env=env, log_dir=tmp_path) as server:
        open_gallery(page, server.url + "/memory")
        add_samples(page)
        page.wait_for_timeout(3_000)
        page.get_by_role("img", name="Thumbnail").first.click()  # the page reloads, and says why
        expected = "This gallery was dropped from server memory after 2 seconds without use"
        expect(page.get_by_text(re.compile(f"^{expected}"))).to_be_visible()
        expect(thumbnails(page)).to_have_count(0)  # not the stale grid
        expect(page.get_by_role("dialog")).to_have_count(0)
        add_samples(page)  # and a new gallery starts
        expect(thumbnails(page)).to_have_count(12)
