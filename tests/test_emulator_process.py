"""The embedded GCS emulator starts once per app, not once per worker, and never outlives it."""

from __future__ import annotations

import os
import signal
import socket
import urllib.request
from pathlib import Path

import pytest

from app.gcs.emulator import EmulatorError, start
from tests.harness import serve
from tests.procs import emulators, parent_of, wait_for


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_gunicorn_with_two_workers_runs_one_emulator_and_takes_it_down(
    tmp_path: Path, how: str
) -> None:
    data = tmp_path / "gcs"
    with serve("gunicorn", env={"GCS_EMULATOR_DATA_DIR": str(data)}, workers=2) as server:
        running = emulators(data)
        doors = emulators(data, b"browser_proxy")
        assert len(running) == 1 and len(doors) == 1, (running, doors)
        assert parent_of(running[0]) == server.process.pid  # the master's, not a worker's
        assert parent_of(doors[0]) == server.process.pid
        # Stop only the master (not its process group): a clean stop must stop the emulator
        # itself, and a killed master must not leave it orphaned either.
        os.kill(server.process.pid, getattr(signal, how))
        server.process.wait(timeout=30)
        assert wait_for(lambda: not emulators(data)), emulators(data)
        assert wait_for(lambda: not emulators(data, b"browser_proxy"))


def test_mesop_cli_runs_one_emulator_and_takes_it_down(tmp_path: Path) -> None:
    data = tmp_path / "gcs"
    with serve("mesop", env={"GCS_EMULATOR_DATA_DIR": str(data)}) as server:
        assert len(emulators(data)) == 1
        os.kill(server.process.pid, signal.SIGINT)  # Ctrl-C, as a workshop attendee stops it
        server.process.wait(timeout=30)
        assert wait_for(lambda: not emulators(data)), emulators(data)
        assert wait_for(lambda: not emulators(data, b"browser_proxy"))


def test_no_emulator_when_one_is_named(tmp_path: Path) -> None:
    """STORAGE_EMULATOR_HOST set: the app uses that one and starts none of its own."""
    data = tmp_path / "gcs"
    env = {"GCS_EMULATOR_DATA_DIR": str(data), "STORAGE_EMULATOR_HOST": "http://127.0.0.1:9"}
    with serve("gunicorn", env=env):
        assert emulators(data) == []


def test_a_busy_port_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(EmulatorError, match=f"GCS_EMULATOR_PORT={port} is already in use"):
            start(str(tmp_path / "gcs"), browser_port=port)
    assert emulators(tmp_path / "gcs") == []


def test_a_data_dir_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("not a folder")
    with pytest.raises(EmulatorError, match=r"GCS_EMULATOR_DATA_DIR=.*/file/gcs cannot be created"):
        start(str(a_file / "gcs"), 0)


def test_browsers_come_through_a_door_that_lets_them_measure_image_sizes(tmp_path: Path) -> None:
    """Without Timing-Allow-Origin, Chromium hides cross-origin byte sizes from the meter."""
    running = start(str(tmp_path / "gcs"), browser_port=0)
    try:
        assert running.public_url != running.url
        with urllib.request.urlopen(f"{running.public_url}/storage/v1/b", timeout=5) as answer:
            assert answer.headers["Timing-Allow-Origin"] == "*"
            assert b'"kind"' in answer.read()  # the emulator's own answer, passed through
        with urllib.request.urlopen(f"{running.url}/storage/v1/b", timeout=5) as direct:
            assert direct.headers["Timing-Allow-Origin"] is None  # the app's own calls: direct
    finally:
        running.stop()
    assert emulators(tmp_path / "gcs") == emulators(tmp_path / "gcs", b"browser_proxy") == []
