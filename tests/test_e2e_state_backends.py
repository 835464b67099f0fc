"""/base64 under Mesop's own state session backends: it still works, and the upload shrinks.

With MESOP_STATE_SESSION_BACKEND=memory or sql, the server keeps each session's state and the
browser sends a token instead of the state; the state still comes *down* after each event.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bench.protocol import Session
from tests.gallery_page import add_samples, open_gallery, select, thumbnails
from tests.harness import Server, serve
from tests.wire import ui_traffic


@pytest.fixture(scope="module", params=["memory", "sql"])
def backend_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[tuple[str, Server]]:  # fmt: skip
    backend = request.param
    scratch = tmp_path_factory.mktemp(f"backend-{backend}")
    env = {"MESOP_STATE_SESSION_BACKEND": backend, "GCS_EMULATOR_DATA_DIR": str(scratch / "gcs")}
    if backend == "sql":
        env["MESOP_STATE_SESSION_BACKEND_SQL_CONNECTION_URI"] = f"sqlite:///{scratch / 'state.db'}"
    with serve("gunicorn", env=env, log_dir=scratch) as server:
        yield backend, server


def test_base64_works_and_uploads_a_token_not_the_state(
    page: Page, backend_server: tuple[str, Server]
) -> None:
    backend, server = backend_server
    open_gallery(page, server.url + "/base64")
    expect(page.get_by_text(f"Mesop state session backend: {backend}")).to_be_visible()
    add_samples(page)
    thumb = page.get_by_role("img", name="Thumbnail: rainy-valley.jpg")
    traffic = ui_traffic(page, thumb.click)
    select(page, "rainy-valley.jpg")
    print(f"\n/base64 select at 12 images, backend {backend}: {traffic.up:,} B up, "
          f"{traffic.down:,} B down")  # fmt: skip
    assert traffic.up < 2_000  # a token, not 4.9 MB of state
    page.get_by_role("button", name="Clear gallery").click()
    expect(thumbnails(page)).to_have_count(0)
    if backend == "sql":
        assert (Path(server.log).parent / "state.db").stat().st_size > 0


def test_two_workers_on_a_fresh_sqlite_state_file_both_boot(tmp_path: Path) -> None:
    """Both workers used to create Mesop's table at once, and one could fail to boot, stopping
    gunicorn; the master now creates it before forking. Three fresh starts, two workers each."""
    for attempt in range(3):
        env = {
            "MESOP_STATE_SESSION_BACKEND": "sql",
            "MESOP_STATE_SESSION_BACKEND_SQL_CONNECTION_URI": f"sqlite:///{tmp_path}/s{attempt}.db",
            "GCS_EMULATOR_DATA_DIR": str(tmp_path / f"gcs{attempt}"),
        }
        with serve("gunicorn", env=env, workers=2, log_dir=tmp_path) as server:
            session = Session(server.url, "/base64")
            try:
                session.init()
                (add,) = session.find("Add sample images")
                session.click(add)
            finally:
                session.close()
            log = server.log.read_text()
            assert "already exists" not in log and "Worker failed to boot" not in log
            assert log.count("Booting worker") == 2
