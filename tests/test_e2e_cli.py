"""`mesop app/main.py`, the workshop's way to run the app, serves the same pages."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from app.patterns import PATHS
from bench.protocol import ProtocolError, Session
from tests.gallery_page import add_samples, open_gallery, select
from tests.harness import Server, serve


@pytest.fixture(scope="module")
def cli_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"GCS_EMULATOR_DATA_DIR": str(tmp_path_factory.mktemp("gcs"))}
    with serve("mesop", env=env, log_dir=tmp_path_factory.mktemp("cli")) as server:
        yield server


@pytest.mark.parametrize("path", ["/", "/compare", *PATHS])
def test_every_page_renders(page: Page, cli_server: Server, path: str) -> None:
    page.goto(cli_server.url + path)
    expect(page.get_by_role("button", name="Overview")).to_be_visible()
    expect(page.get_by_text("Mesop Developer Error")).to_have_count(0)


def test_gallery_works_under_the_cli(page: Page, cli_server: Server) -> None:
    page.goto(cli_server.url + "/base64")
    page.get_by_role("button", name="Add sample images").click()
    expect(page.get_by_role("img", name="Thumbnail")).to_have_count(12, timeout=60_000)
    page.get_by_role("img", name="Thumbnail: ocean-cliffs.jpg").click()
    expect(page.get_by_role("img", name="Selected: ocean-cliffs.jpg")).to_be_visible()


def test_database_images_are_served_under_the_cli(page: Page, cli_server: Server) -> None:
    """The CLI runs Mesop's own Flask app: the image route is mounted on it all the same."""
    open_gallery(page, cli_server.url + "/database")
    add_samples(page)
    select(page, "ocean-cliffs.jpg")  # waits until the image has loaded from the route


def test_the_cli_is_guarded_like_gunicorn_and_names_its_process(cli_server: Server) -> None:
    """The footer promises an X-Served-By header per click; the state check and the size cap
    apply too (the middlewares are put in front of the CLI's own Flask app)."""
    session = Session(cli_server.url, "/base64")
    try:
        session.init()  # at least the second request of this server: it is guarded
        index = next(i for i, s in enumerate(session.states) if '"images"' in s)
        session.states[index] = json.dumps({"images": [{"key": "k"}] * 10_000})
        with pytest.raises(ProtocolError, match="images has 10,000 items; at most 100"):
            session.refresh_tree()
    finally:
        session.close()
    with urllib.request.urlopen(cli_server.url + "/base64") as response:
        assert response.headers["X-Served-By"] == str(cli_server.process.pid)
