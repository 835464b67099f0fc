"""Hot reload under `mesop app/main.py`: a saved edit is served at the next page load, in pages/
and in app/, whether the editor writes the file in place or renames a new file over it (sed -i,
"safe write"), and no page is lost (app/dev_reload.py, docs/architecture.md).

The CLI serves a copy of the project, found first on PYTHONPATH, so the tests edit the copy and
never the repository's own files.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.patterns import PATHS
from tests.harness import ROOT, Server, serve

RELOAD_SECONDS = 60  # a reload re-imports every page; on a busy 2-core machine it takes seconds


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("project")
    skip = shutil.ignore_patterns("__pycache__", ".hot_reload_trigger.py")
    for package in ("app", "pages"):
        shutil.copytree(ROOT / package, copy / package, ignore=skip)
    return copy


@pytest.fixture(scope="module")
def cli(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "PYTHONPATH": str(project),
        "GCS_EMULATOR_DATA_DIR": str(tmp_path_factory.mktemp("gcs")),
    }
    log_dir = tmp_path_factory.mktemp("cli")
    with serve("mesop", env=env, log_dir=log_dir, cwd=project) as server:
        yield server


def in_place(path: Path, old: str, new: str) -> None:
    """What most editors do: rewrite the same file (one inode, a "modified" event)."""
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    with path.open("r+") as file:
        file.write(text.replace(old, new))
        file.truncate()


def by_rename(path: Path, old: str, new: str) -> None:
    """What `sed -i` and "safe write" do: a new file renamed over the old one (a "moved" event)."""
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    temporary = path.with_name(f".{path.name}.saving")
    temporary.write_text(text.replace(old, new))
    os.replace(temporary, path)


def served(page: Page, url: str, text: str) -> None:
    """Load the page until it shows `text` (the reload runs in the server's own time)."""
    deadline = time.monotonic() + RELOAD_SECONDS
    while True:
        page.goto(url)
        try:
            expect(page.get_by_text(text, exact=True)).to_be_visible(timeout=3_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def every_page_still_served(page: Page, server: Server) -> None:
    for path in ["/", *PATHS]:
        page.goto(server.url + path)
        expect(page.get_by_role("button", name="Overview")).to_be_visible()
        expect(page.get_by_text("Mesop Developer Error")).to_have_count(0)


SAVES = [  # each step edits what the step before it left
    (in_place, "pages/base64_page.py", "Images as base64 in state", "Base64, edited", "/base64"),
    (by_rename, "pages/base64_page.py", "Base64, edited", "Base64, renamed", "/base64"),
    (in_place, "app/layout.py", "Mesop performance patterns", "Patterns, edited", "/"),
    (by_rename, "app/layout.py", "Patterns, edited", "Patterns, renamed", "/"),
]


def test_every_kind_of_save_is_served_at_the_next_page_load(
    page: Page, cli: Server, project: Path
) -> None:
    for save, file, old, new, where in SAVES:
        served(page, cli.url + where, old)
        save(project / file, old, new)
        served(page, cli.url + where, new)
        every_page_still_served(page, cli)
