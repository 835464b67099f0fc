"""Thumbnail clicks under gunicorn with two workers: each worker must name the grid's one shared
handler the same way, or a click rendered by one worker and taken by the other is dropped."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from playwright.sync_api import Page

from tests import timing_log
from tests.gallery_page import add_samples, open_gallery, select, thumbnails
from tests.harness import serve


def test_thumbnail_clicks_work_whichever_worker_takes_them(page: Page, tmp_path: Path) -> None:
    log = tmp_path / "timing.jsonl"
    env = {
        "GCS_EMULATOR_DATA_DIR": str(tmp_path / "gcs"),
        "GALLERY_TIMING_LOG": str(log),
        # Sync workers close the connection after each reply, so clicks spread over both
        # workers; gthread's keep-alive would hand every click of the tab to one of them.
        "GUNICORN_WORKER_CLASS": "sync",
        "GUNICORN_THREADS": "1",
    }
    with serve("gunicorn", env=env, workers=2, log_dir=tmp_path) as server:
        open_gallery(page, server.url + "/gcs")
        add_samples(page)
        cards = thumbnails(page)
        names = [cards.nth(i).get_attribute("alt").removeprefix("Thumbnail: ") for i in (0, 1)]
        workers: set[int] = set()
        for n in range(60):  # until both workers have taken clicks (bounded)
            # select waits until the viewer shows the image: the click was handled.
            clicked = timing_log.timed(log, partial(select, page, names[n % 2]), timeout=30)
            workers.add(clicked["pid"])
            if len(workers) == 2 and n >= 3:
                break
        else:
            raise AssertionError(f"60 clicks were all served by process {workers}")
