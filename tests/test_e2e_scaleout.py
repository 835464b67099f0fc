"""Several gunicorn workers, real PostgreSQL, real Chromium: which pattern survives a click that
lands on another process.

Left alone, one worker tends to answer every click of a tab (Chromium keeps its connection open,
and the worker that just answered is the first to accept again), so "it worked with two workers"
would prove nothing. Each check therefore stops the worker that answered (as Cloud Run stops an
instance when it scales in), and clicks again: each reply names its process (X-Served-By), so the
test sees a different process answer every time, and the gallery must still be whole.
/memory across workers is covered in test_e2e_memory.py (the page explains the missing gallery).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Page, expect

from app.patterns import PATTERNS
from tests import postgres
from tests.gallery_page import add_samples, open_gallery, thumbnails, wait_until_shown
from tests.harness import Server, serve
from tests.procs import stop_worker
from tests.wire import answered_by

SAMPLES = ["alpine-dawn.jpg", "desert-dusk.jpg", "glacier-noon.jpg", "forest-mist.jpg"]


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A database prepared as docs/deploy.md says, and the URI of its least-privileged user."""
    with postgres.cluster(postgres.binaries_or_skip()) as cluster:
        yield postgres.prepared_as_the_docs_say(cluster)


@pytest.fixture(scope="module")
def two_workers(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    scratch = tmp_path_factory.mktemp("scaleout")
    env = {
        "MESOP_STATE_SESSION_BACKEND": "sql",
        "MESOP_STATE_SESSION_BACKEND_SQL_CONNECTION_URI": database,
        "GCS_EMULATOR_DATA_DIR": str(scratch / "gcs"),
    }
    with serve("gunicorn", env=env, workers=2, log_dir=scratch) as server:
        yield server


@pytest.mark.parametrize("path", [p.path for p in PATTERNS if p.any_process])
def test_another_process_answers_with_the_gallery_whole(
    page: Page, database: str, two_workers: Server, path: str
) -> None:
    open_gallery(page, two_workers.url + path)
    expect(page.get_by_text("Mesop state session backend: sql")).to_be_visible()
    add_samples(page)
    answered = []
    for name in SAMPLES:
        answered.append(answered_by(page, page.get_by_role("img", name=f"Thumbnail: {name}").click))
        wait_until_shown(page, name)  # the image really shows, whoever answered
        expect(thumbnails(page)).to_have_count(12)  # the state (or the bucket, the database)
        stop_worker(answered[-1])
    assert len(set(answered)) == len(SAMPLES), f"processes that answered: {answered}"
    with psycopg.connect(postgres.libpq(database)) as conn:  # the sessions are in PostgreSQL
        assert conn.execute("SELECT count(*) FROM mesop_state_sessions").fetchone()[0] >= 1
    page.get_by_role("button", name="Clear gallery").click()
    expect(thumbnails(page)).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)


def test_the_app_user_has_no_more_than_the_docs_grant(database: str) -> None:
    """Least privilege, as docs/deploy.md says: the workers above ran as this user, and Mesop
    found its table made for it; the user cannot create tables of its own."""
    refused = psycopg.errors.InsufficientPrivilege
    with psycopg.connect(postgres.libpq(database)) as conn, pytest.raises(refused):
        conn.execute("CREATE TABLE intruder (id int)")


def test_a_unix_socket_uri_as_on_cloud_run_connects(tmp_path: Path) -> None:
    """Cloud Run reaches Cloud SQL through a Unix socket (/cloudsql/...): the URI form that
    docs/deploy.md gives, `...@/db?host=<socket folder>`, works with the pinned driver."""
    from sqlalchemy import create_engine, text

    with postgres.cluster(postgres.binaries_or_skip()) as cluster:
        # Cloud SQL's socket is on PostgreSQL's default port, so its URI names none; ours must.
        uri = (f"postgresql+psycopg://{postgres.ADMIN}:{postgres.ADMIN_PASSWORD}@/postgres"
               f"?host={cluster.socket_dir}&port={cluster.port}")  # fmt: skip
        engine = create_engine(uri)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == postgres.ADMIN
        engine.dispose()


def test_mesops_memory_backend_without_affinity_resends_the_whole_state(
    page: Page, tmp_path: Path
) -> None:
    """What docs/deploy.md says breaks without affinity: Mesop's memory backend keeps each
    session's state in one process; a click that reaches another process works, but only because
    Mesop's client then sends the whole state again (megabytes on /base64)."""
    env = {"MESOP_STATE_SESSION_BACKEND": "memory", "GCS_EMULATOR_DATA_DIR": str(tmp_path / "gcs")}
    with serve("gunicorn", env=env, workers=2, log_dir=tmp_path) as server:
        open_gallery(page, server.url + "/base64")
        add_samples(page)
        holder = answered_by(page, page.get_by_role("img", name="Thumbnail: desert-dusk.jpg").click)
        wait_until_shown(page, "desert-dusk.jpg")
        stop_worker(holder)
        sent: list[int] = []
        page.on("request", lambda r: sent.append(len(r.post_data_buffer or b""))
                if r.url.endswith("/__ui__") else None)  # fmt: skip
        page.get_by_role("img", name="Thumbnail: forest-mist.jpg").click()
        wait_until_shown(page, "forest-mist.jpg")
        print(f"\nmemory backend, another process: /__ui__ request bodies {sent}")
        assert sent[0] < 2_000  # the token, which the other process does not know
        assert max(sent) > 1_000_000  # then the whole state, 12 images of it
