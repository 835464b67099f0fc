"""/gcs specifics in real Chromium: durability, images bypassing Mesop, and storage outages."""

from __future__ import annotations

import os
import re
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from playwright.sync_api import Page, expect

from app.gcs import emulator as gcs_emulator
from tests import images
from tests.gallery_page import (
    add_samples,
    open_gallery,
    select,
    thumbnails,
    upload,
    wait_until_shown,
)
from tests.harness import Server, free_port, serve
from tests.procs import emulators, wait_for
from tests.wire import MediaLog, Traffic, ui_traffic


def test_gallery_survives_reload_and_server_restart(page: Page, tmp_path: Path) -> None:
    env = {"GCS_EMULATOR_DATA_DIR": str(tmp_path / "gcs")}
    with serve("gunicorn", env=env, log_dir=tmp_path) as server:
        open_gallery(page, server.url + "/gcs")
        add_samples(page)
        upload(page, ("mine.png", "image/png", images.png(500, 400, "purple")))
        expect(thumbnails(page)).to_have_count(13)
        gallery_url = page.url
        assert parse_qs(urlsplit(gallery_url).query)["gallery"][0]
        page.reload()
        expect(thumbnails(page)).to_have_count(13)
        expect(page.get_by_text("This gallery is kept in")).to_be_visible()
    # A new server process, and a new emulator on a new port, over the same stored objects.
    with serve("gunicorn", env=env, log_dir=tmp_path) as server:
        page.goto(server.url + urlsplit(gallery_url).path + "?" + urlsplit(gallery_url).query)
        expect(thumbnails(page)).to_have_count(13)
        select(page, "mine.png")
        expect(page.get_by_text("500 × 400 px")).to_be_visible()


def test_navigating_away_and_back_keeps_the_gallery(page: Page, app_server: Server) -> None:
    open_gallery(page, app_server.url + "/gcs")
    upload(page, ("kept.jpg", "image/jpeg", images.jpeg()))
    page.get_by_role("button", name="Overview").click()
    expect(page.get_by_text("ways to hold its images")).to_be_visible()
    page.get_by_role("button", name="Cloud Storage").first.click()
    expect(page.get_by_role("img", name="Thumbnail: kept.jpg")).to_be_visible()


def test_a_broken_emulator_setup_is_explained_and_other_pages_work(
    page: Page, tmp_path: Path
) -> None:
    env = {"GCS_EMULATOR_DATA_DIR": "/proc/no-such-dir/gcs"}  # cannot be created
    with serve("gunicorn", env=env, log_dir=tmp_path) as server:
        page.goto(server.url + "/gcs")
        expect(
            page.get_by_text(
                "The embedded GCS emulator could not start: "
                "GCS_EMULATOR_DATA_DIR=/proc/no-such-dir/gcs cannot be created"
            )
        ).to_be_visible()
        expect(page.get_by_role("dialog")).to_have_count(0)
        open_gallery(page, server.url + "/base64")
        add_samples(page)


def test_an_invalid_gallery_link_says_so(page: Page, app_server: Server) -> None:
    page.goto(app_server.url + "/gcs?gallery=../../etc")
    expect(page.get_by_text("That gallery link is not valid")).to_be_visible()
    expect(page.get_by_text("The gallery is empty")).to_be_visible()


def test_images_bypass_mesop_and_clicks_stay_small(page: Page, app_server: Server) -> None:
    """A select click costs the same at 12 and at 48 images; images come from the bucket, and an
    image already shown is not downloaded again."""
    media = MediaLog(page)
    open_gallery(page, app_server.url + "/gcs")
    add_samples(page)
    thumb_src = thumbnails(page).first.get_attribute("src") or ""
    assert "X-Goog-Signature=" in thumb_src and "/mesop-gallery/samples/" in thumb_src
    assert not thumb_src.startswith(app_server.url)  # served by storage, not by Mesop

    figures = {}

    def click(name: str) -> Traffic:
        traffic = ui_traffic(page, page.get_by_role("img", name=f"Thumbnail: {name}").last.click)
        wait_until_shown(page, name)
        page.wait_for_timeout(300)  # let the browser report the image request, if any
        return traffic

    for size in (12, 48):
        while thumbnails(page).count() < size:
            add_samples(page)
        media.take()
        first = click("alpine-dawn.jpg")
        fetched = media.take()
        click("ocean-cliffs.jpg")
        media.take()
        again = click("alpine-dawn.jpg")
        refetched = media.take()
        figures[size] = again  # like for like: the viewer already shows an image
        print(
            f"\n/gcs select at {size}: {first.up} B up, {first.down} B down, "
            f"{sum(b for _, b in fetched)} B of image from storage; "
            f"re-select: {again.up} B up, {again.down} B down, "
            f"{sum(b for _, b in refetched)} B of image"
        )
        assert first.up <= 1536 and first.down <= 4096, first
        assert again.up <= 1536 and again.down <= 4096, again
        assert sum(b for _, b in refetched) == 0, refetched
    # The click does not grow with the gallery (a few bytes of ids and tokens at most).
    assert abs(figures[48].up - figures[12].up) <= 64, figures
    assert abs(figures[48].down - figures[12].down) <= 256, figures


def test_adding_samples_moves_a_tenth_of_what_base64_moves(page: Page, app_server: Server) -> None:
    moved = {}
    for path in ("/base64", "/gcs"):
        open_gallery(page, app_server.url + path)
        button = page.get_by_role("button", name="Add sample images")
        traffic = ui_traffic(page, button.click)
        expect(thumbnails(page)).to_have_count(12, timeout=60_000)
        moved[path] = traffic.up + traffic.down
    ratio = moved["/gcs"] / moved["/base64"]
    print(
        f"\nadd 12 samples over /__ui__: /base64 {moved['/base64']:,} B, "
        f"/gcs {moved['/gcs']:,} B ({ratio:.1%})"
    )
    assert ratio <= 0.10


@pytest.fixture
def own_emulator(tmp_path: Path) -> Iterator[gcs_emulator.Emulator]:
    """An emulator the test controls (it can stop and restart it), named to the app."""
    port = free_port()
    data = str(tmp_path / "gcs")
    running = gcs_emulator.start(data, port)
    yield running
    running.stop()


def timed_message(page: Page, action: Callable[[], object], text: str) -> float:
    """Seconds from an action to the message on the page (bounded generously: the figure is
    printed; the timing is the storage timeouts' job, app/gcs/bucket.py, and for an upload the
    browser's, app/gallery/direct_upload.js: about 3 s of retries, or a 10 s stall)."""
    started = time.monotonic()
    action()
    expect(page.get_by_text(text)).to_be_visible(timeout=30_000)
    seconds = time.monotonic() - started
    expect(page.get_by_role("dialog")).to_have_count(0)  # no "Sorry, there was an error"
    expect(page.get_by_text("Traceback")).to_have_count(0)
    expect(page.get_by_role("button", name="Add sample images")).to_be_enabled()
    expect(page.locator("direct-upload")).to_have_attribute("data-state", "idle")
    return seconds


def incoming(storage_url: str) -> list[str]:
    """Uploads still in the bucket (each is deleted once processed, refused or failed)."""
    client = storage.Client(
        project="local",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": storage_url},
    )
    return [blob.name for blob in client.list_blobs(gcs_emulator.LOCAL_BUCKET, prefix="incoming/")]


def visible(page: Page, text: str):
    """Text on the page as a person sees it (the key code, folded away, has such words too)."""
    return page.get_by_text(text).filter(visible=True)


def test_storage_faults_mid_session_show_a_message_and_lose_nothing(
    page: Page, tmp_path: Path, own_emulator: gcs_emulator.Emulator
) -> None:
    """Storage hangs (the emulator is frozen), then comes back; then it is stopped, a fresh visit
    and the other pages still work, and it is restarted over the same data: each time the page
    says what happened within seconds, and no stored image is lost. (This emulator has no door:
    the browser uploads to it directly.)"""
    env = {"STORAGE_EMULATOR_HOST": own_emulator.url}
    unreachable = "Cloud Storage is unreachable"
    refused = re.compile(r"^Refused ")
    with serve("gunicorn", env=env, log_dir=tmp_path) as server:
        open_gallery(page, server.url + "/gcs")
        add_samples(page)
        upload(page, ("before.png", "image/png", images.png(500, 400, "purple")))
        expect(thumbnails(page)).to_have_count(13)
        pick = page.locator("input[type=file]")

        (emulator_pid,) = emulators(tmp_path / "gcs")  # the binary, not its supervisor
        os.kill(emulator_pid, signal.SIGSTOP)  # hung: connects, never answers
        try:
            # The browser's upload gets no answer: it gives up after its 10 s stall limit.
            hung = timed_message(
                page,
                lambda: pick.set_input_files([file("during-hang.jpg")]),
                "Refused during-hang.jpg: Cloud Storage did not answer the upload for 10 s",
            )
        finally:
            os.kill(emulator_pid, signal.SIGCONT)
        upload(page, ("after-hang.jpg", "image/jpeg", images.jpeg()))  # the same page recovers
        expect(thumbnails(page)).to_have_count(14)
        expect(visible(page, refused)).to_have_count(0)
        assert wait_for(lambda: incoming(own_emulator.url) == [], timeout=10)

        own_emulator.stop()  # down: connections refused (tried again for about 3 s)
        down = timed_message(
            page,
            lambda: pick.set_input_files([file("during-outage.jpg")]),
            "Refused during-outage.jpg: the upload was cut off: the connection to Cloud Storage "
            "failed",
        )
        print(f"\nstorage fault to message: hung {hung:.1f} s, stopped {down:.1f} s")
        # A fresh visit while storage is down: the page renders and says why it is empty.
        fresh = page.context.new_page()
        fresh.goto(server.url + "/gcs")
        expect(fresh.get_by_text(unreachable)).to_be_visible(timeout=15_000)
        expect(fresh.get_by_role("dialog")).to_have_count(0)
        fresh.close()
        # The other pages do not depend on storage.
        other = page.context.new_page()
        open_gallery(other, server.url + "/base64")
        add_samples(other)
        other.close()
        # Storage returns (same port, same objects): the same page carries on, and a reload
        # shows every image stored before the faults.
        port = int(urlsplit(own_emulator.url).port or 0)
        back = gcs_emulator.start(str(tmp_path / "gcs"), port)
        try:
            upload(page, ("after-outage.jpg", "image/jpeg", images.jpeg()))
            expect(thumbnails(page)).to_have_count(15)
            expect(visible(page, refused)).to_have_count(0)
            assert wait_for(lambda: incoming(back.url) == [], timeout=10)
            page.reload()
            expect(thumbnails(page)).to_have_count(15)
            select(page, "before.png")
            expect(page.get_by_text("500 × 400 px")).to_be_visible()
            select(page, "glacier-noon.jpg")
        finally:
            back.stop()


def test_a_killed_emulator_or_door_is_restarted_and_the_page_carries_on(
    page: Page, tmp_path: Path
) -> None:
    """The embedded emulator's supervisor restarts whichever dies; the same page's next click
    works (the browser tries an upload again while the emulator restarts), and while storage is
    down (its supervisor frozen too) the page says so."""
    data = tmp_path / "gcs"
    unreachable = "Cloud Storage is unreachable"
    refused = re.compile(r"^Refused ")
    with serve("gunicorn", env={"GCS_EMULATOR_DATA_DIR": str(data)}, log_dir=tmp_path) as server:
        open_gallery(page, server.url + "/gcs")
        add_samples(page)
        started = time.monotonic()
        upload(page, ("before.jpg", "image/jpeg", images.jpeg()))  # for comparison
        expect(thumbnails(page)).to_have_count(13)
        usual = time.monotonic() - started

        os.kill(emulators(data)[0], signal.SIGKILL)
        started = time.monotonic()
        upload(page, ("after-kill.jpg", "image/jpeg", images.jpeg()))  # the next click
        expect(thumbnails(page)).to_have_count(14)
        emulator_back = time.monotonic() - started
        expect(visible(page, unreachable)).to_have_count(0)

        # Down for longer (nobody restarts it while its supervisor is frozen): the page says
        # so, then carries on by itself once the supervisor runs again.
        (supervisor,) = emulators(data, b"supervisor.py")
        os.kill(supervisor, signal.SIGSTOP)
        try:
            os.kill(emulators(data)[0], signal.SIGKILL)
            pick = page.locator("input[type=file]")
            # The door answers 502 (the emulator does not): tried again, then given up.
            timed_message(
                page,
                lambda: pick.set_input_files([file("while-down.jpg")]),
                f"Refused while-down.jpg: {unreachable} (HTTP 502)",
            )
        finally:
            os.kill(supervisor, signal.SIGCONT)
        started = time.monotonic()
        upload(page, ("after-outage.jpg", "image/jpeg", images.jpeg()))
        expect(thumbnails(page)).to_have_count(15)
        supervisor_back = time.monotonic() - started
        expect(visible(page, refused)).to_have_count(0)

        # The door: back on the same port, so the URLs in the page work again; the next click
        # shows an image this browser has not fetched yet (thumbnails are cached for a year).
        signed_url = thumbnails(page).first.get_attribute("src") or ""
        os.kill(emulators(data, b"browser_proxy")[0], signal.SIGKILL)
        started = time.monotonic()
        assert wait_for(lambda: answers(signed_url), timeout=5)
        door_back = time.monotonic() - started
        select(page, "glacier-noon.jpg")
        print(
            f"\nan upload takes {usual:.1f} s; killed to the next upload done: emulator "
            f"{emulator_back:.1f} s; after an outage, {supervisor_back:.1f} s; killed to the "
            f"door answering: {door_back:.1f} s"
        )
        page.reload()
        expect(thumbnails(page)).to_have_count(15)
        expect(page.get_by_role("dialog")).to_have_count(0)
    restarts = [line for line in server.log.read_text().splitlines() if "gcs supervisor" in line]
    assert len(restarts) == 3, restarts  # one line each


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, ConnectionError):
        return False


def file(name: str) -> dict[str, object]:
    return {"name": name, "mimeType": "image/jpeg", "buffer": images.jpeg()}
