"""Bad input, oversized requests, isolation and memory pressure, in real Chromium against gunicorn.

One server with small limits serves most of these tests, so that each limit is reached with a few
small files instead of a hundred large ones.
"""

from __future__ import annotations

import base64
import http.client
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from mesop.protos import ui_pb2
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from app.gallery.upload_guard import batch_bytes
from app.patterns import PATHS
from tests import images
from tests.gallery_page import expect_messages, open_gallery, select, thumbnails, upload
from tests.harness import Server, serve
from tests.procs import parent_of, wait_for
from tests.wire import is_ui

MB = 2**20
LIMITS = {
    "GALLERY_MAX_IMAGES": "5",
    "GALLERY_MAX_FILES_PER_UPLOAD": "7",
    "GALLERY_MAX_REQUEST_BYTES": str(MB),  # /base64 then keeps its images under 768 KB
    "MEMORY_MAX_BYTES": str(2 * MB),  # two /memory galleries of 5 samples do not fit
}
HTML_NAME = '<b>bold<b> & "quoted" <img src=x onerror="window.pwned=1">.jpg'


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {**LIMITS, "GCS_EMULATOR_DATA_DIR": str(tmp_path_factory.mktemp("gcs"))}
    with serve("gunicorn", env=env, log_dir=tmp_path_factory.mktemp("logs")) as server:
        yield server


def test_a_mixed_batch_takes_the_good_files_and_names_each_refusal(
    page: Page, limited: Server
) -> None:
    open_gallery(page, limited.url + "/gcs")
    upload(page, ("keep.jpg", "image/jpeg", images.jpeg()))
    expect(thumbnails(page)).to_have_count(1)
    cmyk = images.encode(Image.new("CMYK", (300, 200), (0, 80, 200, 0)), "JPEG")
    upload(
        page,
        (HTML_NAME, "image/jpeg", cmyk),
        ("deep.png", "image/png", images.png16(200, 100, (0, 40000, 65535))),
        ("empty.jpg", "image/jpeg", b""),
        ("logo.svg", "image/svg+xml", images.SVG),
        ("alpha.webp", "image/webp", images.encode(Image.new("RGBA", (90, 60)), "WEBP")),
        ("../../etc/escape.png", "image/png", images.png(60, 40)),  # shown as escape.png
        ("late.png", "image/png", images.png(50, 50)),  # the gallery is full by now (5)
        ("extra.jpg", "image/jpeg", images.jpeg(50, 50)),  # the 8th file of a 7-file limit
    )
    # /gcs's browser keeps back what it can tell before sending (count, size, type); the
    # server refuses the rest by name.
    expect_messages(
        page,
        "Not sent: extra.jpg: at most 7 files are taken per upload",
        "Not sent: empty.jpg: the file is empty",
        "Not sent: logo.svg: SVG (vector) images are not supported",
        "Refused late.png: the gallery holds 5 images, its limit",
    )
    expect(thumbnails(page)).to_have_count(5)
    for name in ("keep.jpg", HTML_NAME, "deep.png", "alpha.webp", "escape.png"):
        expect(page.get_by_role("img", name=f"Thumbnail: {name}", exact=True)).to_be_visible()
    # The HTML-like name is text: shown as typed, never markup (in the viewer, and in the line
    # about its upload).
    select(page, HTML_NAME)
    shown = page.get_by_text(HTML_NAME, exact=True)
    expect(shown).to_have_count(2)
    for each in shown.all():
        expect(each).to_be_visible()
    expect(page.get_by_text("300 × 200 px")).to_be_visible()
    assert page.locator("b", has_text="bold").count() == 0
    assert page.evaluate("window.pwned") is None  # the name's onerror never ran
    # A full gallery refuses samples too, by name, and stays as it was.
    page.get_by_role("button", name="Add sample images").click()
    expect(page.get_by_text(re.compile(r"^Refused 12 files \(alpine-dawn\.jpg, "))).to_be_visible()
    expect(thumbnails(page)).to_have_count(5)
    expect(page.get_by_text("Traceback")).to_have_count(0)


def test_an_oversized_click_is_explained_and_the_page_keeps_working(
    page: Page, limited: Server
) -> None:
    open_gallery(page, limited.url + "/base64")
    # /base64 keeps its state under 3/4 of the 1 MB request limit: a sample or two, no more.
    page.get_by_role("button", name="Add sample images").click()
    refusal = re.compile(r"^Refused [a-z-]+\.jpg: with it every click would send [\d.]+ [KM]B")
    expect(page.get_by_text(refusal)).to_be_visible(timeout=30_000)
    held = thumbnails(page).count()
    assert 1 <= held <= 2
    # A file small enough for an upload on its own (the browser lets it go: under half of the
    # 1 MB limit), too big beside this state: Mesop's error dialog says so, nothing changes.
    noise = images.encode(Image.effect_noise((380, 380), 90).convert("RGB"), "PNG")
    assert 300_000 < len(noise) < batch_bytes(MB)
    page.locator("input[type=file]").set_input_files(
        [{"name": "noise.png", "mimeType": "image/png", "buffer": noise}]
    )
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(re.compile(r"Not sent: this request carries 1\.[\d] MB"))
    expect(dialog).to_contain_text("the server accepts 1.0 MB at most")
    dialog.get_by_role("button", name="OK").click()
    expect(thumbnails(page)).to_have_count(held)
    select(page, "alpine-dawn.jpg")  # the next click goes through


def test_files_over_a_limit_are_kept_back_by_the_browser_and_named(
    page: Page, limited: Server
) -> None:
    """A file over the per-file limit, or one that would take the batch past what one request
    carries, is never sent: the browser names it, and the rest of the selection goes on."""
    sent: list[int] = []
    page.on("request", lambda r: sent.append(len(r.post_data_buffer or b"")) if is_ui(r) else None)
    open_gallery(page, limited.url + "/memory")
    big = b"\xff\xd8\xff" + bytes(16 * MB)  # over the 15 MB per-file limit
    noise = images.encode(Image.effect_noise((600, 600), 90).convert("RGB"), "PNG")
    assert len(noise) > batch_bytes(MB)  # over what one upload carries on this 1 MB server
    sent.clear()
    upload(
        page,
        ("huge.jpg", "image/jpeg", big),
        ("small.jpg", "image/jpeg", images.jpeg(64, 48)),
        ("noise.png", "image/png", noise),
    )
    expect(page.get_by_role("img", name="Thumbnail: small.jpg")).to_be_visible()
    kept_back = page.locator("upload-guard")
    expect(kept_back).to_contain_text(
        "Not sent: huge.jpg (16.8 MB): the limit is 15.0 MB per file."
    )
    expect(kept_back).to_contain_text("Not sent: noise.png: one upload carries 0.5 MB at most.")
    assert sent and max(sent) < 100_000  # only small.jpg went up
    # Nothing left to send: no request at all, and the line says why.
    sent.clear()
    page.locator("input[type=file]").set_input_files(
        [{"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": big}]
    )
    expect(kept_back).to_have_text(re.compile(r"^Not sent: huge\.jpg \(16\.8 MB\)"))
    page.wait_for_timeout(500)
    assert sent == []


def worker_of(server: Server) -> int:
    """The gunicorn worker's pid: the master's one child that is not the emulator."""
    workers = []
    for proc in Path("/proc").iterdir():
        try:
            child = proc.name.isdigit() and parent_of(int(proc.name)) == server.process.pid
            if child and b"gunicorn" in (proc / "cmdline").read_bytes():
                workers.append(int(proc.name))
        except OSError:
            continue  # a process that ended while we looked
    assert len(workers) == 1, workers
    return workers[0]


def peak_rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024


def post_ui(
    server: Server, length: int, chunks: Iterator[bytes] | None, path: str = "/__ui__"
) -> tuple[int, bytes]:
    host = urlsplit(server.url).netloc
    connection = http.client.HTTPConnection(host, timeout=60)
    headers = {"Origin": server.url, "Content-Type": "text/plain"}
    if chunks is None:
        headers["Transfer-Encoding"] = "chunked"
        connection.request("POST", path, body=iter([b"x" * 1024]), headers=headers)
    else:
        headers["Content-Length"] = str(length)
        connection.request("POST", path, body=chunks, headers=headers)
    response = connection.getresponse()
    try:
        return response.status, response.read()
    finally:
        connection.close()


def test_an_oversized_request_is_refused_without_holding_it_in_memory(limited: Server) -> None:
    """200 MB sent to a worker whose limit is 1 MB: the worker's peak memory barely moves, and
    the answer is a Mesop error event that the browser would show."""
    worker = worker_of(limited)
    before = peak_rss(worker)
    size = 200 * MB
    started = time.monotonic()
    status, body = post_ui(limited, size, (b"\0" * MB for _ in range(size // MB)))
    seconds = time.monotonic() - started
    grown = peak_rss(worker) - before
    print(f"\n200 MB request refused in {seconds:.1f} s; worker peak RSS +{grown / MB:.1f} MB")
    assert status == 200
    events = re.findall(rb"^data: (.+)$", body, flags=re.MULTILINE)
    assert events[-1] == b"<stream_end>"
    reply = ui_pb2.UiResponse.FromString(base64.b64decode(events[0]))
    assert reply.error.exception.startswith("Not sent: this request carries 210 MB")
    assert grown < 20 * MB
    assert wait_for(lambda: worker_of(limited) == worker)  # the same worker, still serving
    # A request that does not say how long it is cannot be checked before reading: refused.
    assert post_ui(limited, 0, None)[0] == 411


def test_mesops_other_post_endpoints_are_capped_too(limited: Server) -> None:
    """/__csp__ (no Origin needed) read any body whole: 300 MB grew the app by 600 MB, for good.
    Now a body over 64 KB is drained without being kept and answered 413; a report of normal
    size still reaches Mesop; chunked bodies are refused, as on /__ui__."""
    worker = worker_of(limited)
    before = peak_rss(worker)
    size = 300 * MB
    status, body = post_ui(limited, size, (b"\0" * MB for _ in range(size // MB)), "/__csp__")
    grown = peak_rss(worker) - before
    print(f"\n300 MB to /__csp__: {status}; worker peak RSS +{grown / MB:.1f} MB")
    assert status == 413 and b"Traceback" not in body
    assert grown < 20 * MB
    report = (
        b'{"csp-report": {"document-uri": "http://127.0.0.1/", "blocked-uri": '
        b'"https://example.invalid/x.js", "violated-directive": "script-src-elem"}}'
    )
    assert post_ui(limited, len(report), iter([report]), "/__csp__")[0] < 400
    assert post_ui(limited, 0, None, "/__csp__")[0] == 411
    assert post_ui(limited, 0, None, "/__apply-cookies")[0] == 411


OWN_URLS = {"/gcs": "/mesop-gallery/galleries/{}/images/", "/database": "/media/{}/"}


def test_two_browsers_never_see_each_others_galleries(app_server: Server, browser: Browser) -> None:
    alice, bob = browser.new_context(), browser.new_context()
    try:
        a, b = alice.new_page(), bob.new_page()
        for path in PATHS:
            open_gallery(a, app_server.url + path)
            upload(a, ("alice-private.jpg", "image/jpeg", images.jpeg()))
            open_gallery(b, app_server.url + path)
            expect(b.get_by_text("The gallery is empty")).to_be_visible()
            upload(b, ("bob-own.jpg", "image/jpeg", images.jpeg()))
            for who, own in ((a, "alice-private.jpg"), (b, "bob-own.jpg")):
                if "gallery=" in who.url:  # a reload finds the gallery again by its link
                    who.reload()
                expect(thumbnails(who)).to_have_count(1)
                expect(who.get_by_role("img", name=f"Thumbnail: {own}")).to_be_visible()
            # Images by URL name their own gallery's objects only: signed URLs on /gcs, the
            # app's route on /database.
            if path in OWN_URLS:
                assert a.url != b.url
                for who in (a, b):
                    gallery_id = parse_qs(urlsplit(who.url).query)["gallery"][0]
                    src = thumbnails(who).first.get_attribute("src") or ""
                    assert OWN_URLS[path].format(gallery_id) in src, src
    finally:
        alice.close()
        bob.close()


def test_memory_pressure_evicts_the_least_recently_used_gallery_and_says_so(
    limited: Server, browser: Browser
) -> None:
    first, second = browser.new_context(), browser.new_context()
    try:
        old, new = first.new_page(), second.new_page()
        open_gallery(old, limited.url + "/memory")
        add_samples_up_to_limit(old)
        open_gallery(new, limited.url + "/memory")
        add_samples_up_to_limit(new)  # 2 × 5 samples pass the 2 MB cap: the older one goes
        old.get_by_role("img", name="Thumbnail").first.click()
        expect(
            old.get_by_text(re.compile(r"^This gallery was evicted from server memory"))
        ).to_be_visible()
        expect(thumbnails(old)).to_have_count(0)
        expect(old.get_by_role("dialog")).to_have_count(0)
        select(new, "alpine-dawn.jpg")  # the recent one is whole
        expect(thumbnails(new)).to_have_count(5)
    finally:
        first.close()
        second.close()


def add_samples_up_to_limit(page: Page) -> None:
    page.get_by_role("button", name="Add sample images").click()
    expect(thumbnails(page)).to_have_count(5, timeout=60_000)
    expect(page.get_by_role("button", name="Add sample images")).to_be_enabled()


def test_a_file_that_trips_the_decoder_is_refused_and_the_batch_goes_on(
    page: Page, app_server: Server
) -> None:
    open_gallery(page, app_server.url + "/database")
    upload(
        page,
        ("text-bomb.png", "image/png", images.png_text_bomb()),
        ("after.jpg", "image/jpeg", images.jpeg()),
    )
    expect_messages(page, "Refused text-bomb.png: the file could not be read as an image")
    expect(page.get_by_role("img", name="Thumbnail: after.jpg")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)  # no error dialog, no Pillow message
    expect(page.get_by_role("button", name="Add sample images")).to_be_enabled()
