"""/database on PostgreSQL, as on Cloud SQL: the gallery suite, a gallery that outlives reloads and
workers, the image route serving only a gallery's own images, and the database going away and
coming back. Two gunicorn workers, connected as the least-privileged user that docs/deploy.md
makes. (The suite also runs on SQLite, the default, in test_e2e_gallery.py, and two workers
share one SQLite file in test_e2e_scaleout.py.)
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect

from tests import images, postgres
from tests import test_e2e_gallery as gallery_suite
from tests.gallery_page import add_samples, open_gallery, select, thumbnails, upload
from tests.harness import Server, serve
from tests.procs import stop_worker
from tests.wire import answered_by

PATH = "/database"
UNREACHABLE = "failed: the database is unreachable"


@pytest.fixture(scope="module")
def cluster() -> Iterator[postgres.Cluster]:
    with postgres.cluster(postgres.binaries_or_skip()) as found:
        yield found


@pytest.fixture(scope="module")
def database(cluster: postgres.Cluster) -> str:
    return postgres.prepared_as_the_docs_say(cluster)


@pytest.fixture(scope="module")
def server(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    scratch = tmp_path_factory.mktemp("database")
    env = {"DATABASE_URL": database, "GCS_EMULATOR_DATA_DIR": str(scratch / "gcs")}
    with serve("gunicorn", env=env, workers=2, log_dir=scratch) as found:
        yield found


def gallery_id(page: Page) -> str:
    return re.search(r"gallery=([\w-]+)", page.url)[1]


@pytest.mark.parametrize(
    "check",
    [
        gallery_suite.test_add_select_clear,
        gallery_suite.test_upload_several_files,
        gallery_suite.test_refused_upload_names_file_and_reason_and_keeps_gallery,
    ],
    ids=["add-select-clear", "upload-several", "refused-upload"],
)
def test_the_gallery_suite_on_postgresql(page: Page, server: Server, check) -> None:
    check(page, server, PATH)


def test_the_gallery_lives_in_postgresql_through_reloads_and_workers(
    page: Page, server: Server, database: str
) -> None:
    open_gallery(page, server.url + PATH)
    add_samples(page)
    with psycopg.connect(postgres.libpq(database)) as conn:
        rows = conn.execute(
            "SELECT count(*) FROM gallery_items WHERE gallery_id = %s", (gallery_id(page),)
        ).fetchone()[0]
    assert rows == 12
    answered = set()
    for name in ("alpine-dawn.jpg", "desert-dusk.jpg", "glacier-noon.jpg"):
        worker = answered_by(page, page.get_by_role("img", name=f"Thumbnail: {name}").click)
        expect(page.get_by_role("img", name=f"Selected: {name}")).to_be_visible()
        answered.add(worker)
        stop_worker(worker)  # the next click goes to another process
        page.reload()
        expect(thumbnails(page)).to_have_count(12)
    assert len(answered) == 3, answered


def test_the_route_serves_a_gallerys_own_images_and_nothing_else(
    page: Page, server: Server, browser: Browser
) -> None:
    open_gallery(page, server.url + PATH)
    upload(page, ("private.png", "image/png", images.png(640, 480, "teal")))
    select(page, "private.png")
    src = page.get_by_role("img", name="Selected: private.png").get_attribute("src")
    own = server.url + src
    sha = re.fullmatch(r"/media/[\w-]{22}/([0-9a-f]{64})\.jpg", src)[1]

    served = page.request.get(own)
    assert served.status == 200
    assert served.headers["cache-control"] == "private, max-age=31536000, immutable"
    assert served.headers["etag"] == f'"{sha}"'
    assert served.headers["content-type"] == "image/jpeg"
    assert int(served.headers["content-length"]) == len(served.body()) > 1000
    revalidated = page.request.get(own, headers={"If-None-Match": f'"{sha}"'})
    assert revalidated.status == 304 and revalidated.body() == b""

    other = browser.new_context().new_page()
    try:
        open_gallery(other, server.url + PATH)
        add_samples(other)  # another visitor's gallery, with images of its own
        elsewhere = gallery_id(other)
        for url, status in [
            (f"{server.url}/media/{elsewhere}/{sha}.jpg", 404),  # the image, another gallery
            (f"{server.url}/media/{secrets.token_urlsafe(16)}/{sha}.jpg", 404),  # made-up id
            (f"{server.url}/media/{elsewhere}/{sha.upper()}.jpg", 404),  # not a name it makes
            (f"{server.url}/media/{elsewhere}/..%2F..%2Fetc%2Fpasswd", 404),
            (f"{server.url}/media/", 404),
        ]:
            answer = other.request.get(url)
            assert answer.status == status, url
            assert "Traceback" not in answer.text()
        assert other.request.post(own).status == 405
    finally:
        other.context.close()


def test_the_database_going_away_is_explained_and_the_page_recovers(
    page: Page, server: Server, cluster: postgres.Cluster, tmp_path: Path
) -> None:
    """Last in this module: it stops the server that the others use, and starts it again."""
    open_gallery(page, server.url + PATH)
    add_samples(page)
    cluster.stop()
    try:
        page.get_by_role("button", name="Add sample images").click()
        expect(page.get_by_text(UNREACHABLE)).to_be_visible(timeout=15_000)
        expect(page.get_by_role("dialog")).to_have_count(0)  # no traceback, no error dialog
        expect(page.get_by_role("button", name="Add sample images")).to_be_enabled()
        fresh = page.context.new_page()  # a new visit while it is down: explained too
        fresh.goto(server.url + PATH)
        expect(fresh.get_by_text(UNREACHABLE)).to_be_visible(timeout=15_000)
        fresh.close()
    finally:
        cluster.start()
    page.reload()  # the same gallery, whole, and the page works again
    expect(thumbnails(page)).to_have_count(12)
    expect(page.get_by_text(UNREACHABLE)).to_have_count(0)
    add_samples(page)
    select(page, "glacier-noon.jpg")
