"""The embedded GCS emulator starts once per app, not once per worker, never outlives it, comes
back when it dies, and its browser door lets through only signed URLs of the app's bucket."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from app.gcs import emulator as gcs_emulator
from app.gcs.emulator import LOCAL_BUCKET, Emulator, EmulatorError, start
from app.gcs.signing import UrlSigner, throwaway_credentials
from tests.harness import serve
from tests.procs import emulators, parent_of, wait_for

SUPERVISOR = b"supervisor.py"
DOOR = b"browser_proxy"


def argv(pid: int) -> list[bytes]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")


def killed_and_replaced(data: Path, program: bytes = b"fake-gcs-server") -> float:
    """SIGKILL the one such process; seconds until one other process runs the same command."""
    (old,) = emulators(data, program)
    command = argv(old)
    os.kill(old, signal.SIGKILL)
    started = time.monotonic()
    assert wait_for(lambda: emulators(data, program) not in ([], [old]), timeout=10)
    (new,) = emulators(data, program)
    assert argv(new) == command  # same port, same data folder
    return time.monotonic() - started


def fetch(url: str, method: str = "GET", **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), refused.read()


def bucket_of(running: Emulator, name: str = LOCAL_BUCKET) -> storage.Bucket:
    """The app's bucket on this emulator, made if need be, as the app's own calls reach it."""
    client = storage.Client(
        project="local",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": running.url},
    )
    found = client.bucket(name)
    if not found.exists():
        client.create_bucket(name)
    return found


def signed(running: Emulator, target: storage.Bucket, name: str) -> str:
    return UrlSigner(throwaway_credentials(), endpoint=running.public_url).url(target, name)


@contextlib.contextmanager
def emulator_in(tmp_path: Path, **door: int) -> Iterator[Emulator]:
    """The emulator behind its door, as the app runs it; started in the test itself, not in a
    fixture, so that capfd sees the supervisor's log on the stderr it inherits."""
    emulator = start(str(tmp_path / "gcs"), **{"browser_port": 0, **door})
    try:
        yield emulator
    finally:
        emulator.stop()
    for program in (b"fake-gcs-server", DOOR, SUPERVISOR):
        assert emulators(tmp_path / "gcs", program) == []


def answers(url: str) -> bool:
    try:
        return fetch(url)[0] == 200
    except (urllib.error.URLError, ConnectionError):
        return False


def supervisor_log(capfd: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capfd.readouterr().err.splitlines() if "gcs supervisor" in line]


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_gunicorn_with_two_workers_runs_one_emulator_and_takes_it_down(
    tmp_path: Path, how: str
) -> None:
    data = tmp_path / "gcs"
    with serve("gunicorn", env={"GCS_EMULATOR_DATA_DIR": str(data)}, workers=2) as server:
        running = emulators(data)
        doors = emulators(data, DOOR)
        (supervisor,) = emulators(data, SUPERVISOR)
        assert len(running) == 1 and len(doors) == 1, (running, doors)
        assert parent_of(supervisor) == server.process.pid  # the master's, not a worker's
        assert parent_of(running[0]) == parent_of(doors[0]) == supervisor
        # Killed, each is replaced once (two workers, one supervisor: nobody races).
        killed_and_replaced(data)
        killed_and_replaced(data, DOOR)
        # Stop only the master (not its process group): a clean stop must stop the emulator
        # itself, and a killed master must not leave it orphaned either.
        os.kill(server.process.pid, getattr(signal, how))
        server.process.wait(timeout=30)
        assert wait_for(lambda: not emulators(data)), emulators(data)
        assert wait_for(lambda: not emulators(data, DOOR))
        assert wait_for(lambda: not emulators(data, SUPERVISOR))


def test_mesop_cli_runs_one_emulator_restarts_it_and_takes_it_down(tmp_path: Path) -> None:
    data = tmp_path / "gcs"
    # PYTHONFAULTHANDLER: if Ctrl-C ever fails to stop it, SIGABRT below puts every thread's
    # stack in the server's log, and the failure shows where it stood.
    env = {"GCS_EMULATOR_DATA_DIR": str(data), "PYTHONFAULTHANDLER": "1"}
    with serve("mesop", env=env) as server:
        assert len(emulators(data)) == 1
        killed_and_replaced(data)
        killed_and_replaced(data, DOOR)
        os.kill(server.process.pid, signal.SIGINT)  # Ctrl-C, as a workshop attendee stops it
        try:
            server.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.kill(server.process.pid, signal.SIGABRT)
            server.process.wait(timeout=10)
            pytest.fail("Ctrl-C did not stop `mesop app/main.py` within 60 s; its threads:\n"
                        + server.log.read_text()[-6000:])  # fmt: skip
        assert wait_for(lambda: not emulators(data)), emulators(data)
        assert wait_for(lambda: not emulators(data, DOOR))
        assert wait_for(lambda: not emulators(data, SUPERVISOR))


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


def test_a_binary_that_cannot_start_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "fake-gcs-server"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setattr(gcs_emulator, "binary_path", lambda: broken)
    with pytest.raises(EmulatorError, match=r"^fake-gcs-server exited with code 3$"):
        start(str(tmp_path / "gcs"), browser_port=0)
    for program in (b"fake-gcs-server", DOOR, SUPERVISOR):
        assert emulators(tmp_path / "gcs", program) == []


def test_browsers_come_through_a_door_that_lets_them_measure_image_sizes(tmp_path: Path) -> None:
    """Without Timing-Allow-Origin, Chromium hides cross-origin byte sizes from the meter."""
    with emulator_in(tmp_path) as running:
        assert running.public_url != running.url
        target = bucket_of(running)
        target.blob("samples/a.jpg").upload_from_string(b"jpeg bytes", content_type="image/jpeg")
        url = signed(running, target, "samples/a.jpg")
        status, headers, body = fetch(url)
        assert (status, body, headers["Timing-Allow-Origin"]) == (200, b"jpeg bytes", "*")
        status, headers, body = fetch(url, "HEAD")
        assert (status, headers["Content-Length"], body) == (200, "10", b"")
        # A CORS preflight for the bucket's objects is the emulator's to answer.
        status, headers, _ = fetch(url, "OPTIONS", Origin="http://127.0.0.1:1", **PREFLIGHT)
        assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
        status, headers, _ = fetch(f"{running.url}/storage/v1/b")
        assert status == 200 and "Timing-Allow-Origin" not in headers  # the app's calls: direct


PREFLIGHT = {"Access-Control-Request-Method": "GET"}


def test_the_door_refuses_all_but_signed_urls_of_the_bucket(tmp_path: Path) -> None:
    """The emulator checks nothing: the door is what keeps listings, unsigned reads, the JSON
    API and writes from a browser (or anything else on this machine that finds the port)."""
    with emulator_in(tmp_path) as running:
        target = bucket_of(running)
        target.blob("samples/a.jpg").upload_from_string(b"jpeg bytes", content_type="image/jpeg")
        url = signed(running, target, "samples/a.jpg")
        door, query = running.public_url, url.split("?", 1)[1]
        other = signed(running, bucket_of(running, "another-bucket"), "samples/a.jpg")
        long_ago = re.sub(r"X-Goog-Date=\d{8}T\d{6}Z", "X-Goog-Date=20000101T000000Z", url)
        object_api = f"{door}/download/storage/v1/b/{LOCAL_BUCKET}/o/samples%2Fa.jpg?alt=media"
        refused = [
            ("GET", f"{door}/storage/v1/b", {}),  # the JSON API: the buckets
            ("GET", f"{door}/storage/v1/b/{LOCAL_BUCKET}/o?{query}", {}),  # the objects
            ("GET", object_api, {}),
            ("GET", f"{door}/{LOCAL_BUCKET}", {}),  # the XML API's listing
            ("GET", f"{door}/{LOCAL_BUCKET}/?{query}", {}),
            ("GET", f"{door}/{LOCAL_BUCKET}/samples/a.jpg", {}),  # unsigned
            ("GET", f"{door}/{LOCAL_BUCKET}/samples%2Fa.jpg?{query}", {}),
            ("GET", f"{door}/{LOCAL_BUCKET}/../storage/v1/b?{query}", {}),
            ("GET", f"{url}&alt=json", {}),  # more than the app's URLs carry
            ("GET", other, {}),  # signed, but for another bucket
            ("GET", long_ago, {}),  # expired
            ("DELETE", url, {}),
            ("PUT", url, {}),
            ("POST", f"{door}/upload/storage/v1/b/{LOCAL_BUCKET}/o?name=x", {}),
            ("OPTIONS", f"{door}/storage/v1/b", PREFLIGHT),
            ("OPTIONS", url, {"Access-Control-Request-Method": "PUT"}),
        ]
        for method, target_url, headers in refused:
            status, answer_headers, body = fetch(target_url, method, **headers)
            assert status in (403, 404), (method, target_url, status, body)
            assert answer_headers["Content-Type"].startswith("text/plain") and len(body) < 100
            # Never forwarded: every answer that comes from the emulator carries this header.
            assert "Timing-Allow-Origin" not in answer_headers
        # A GET with a body (the door reads none: it would be taken for the next request).
        with pytest.raises(urllib.error.HTTPError, match="403"):
            urllib.request.urlopen(urllib.request.Request(url, b"x", method="GET"), timeout=5)
        assert target.blob("samples/a.jpg").exists()  # the DELETE never reached the emulator
        assert fetch(url)[0] == 200


def test_the_door_refuses_a_reply_too_large_to_hold(tmp_path: Path) -> None:
    """It reads a reply whole before passing it on: past 16 MB (no image of the app's comes
    near), it says so instead."""
    with emulator_in(tmp_path) as running:
        target = bucket_of(running)
        target.blob("big.jpg").upload_from_string(b"\0" * (16 * 2**20 + 1), timeout=60)
        status, _, body = fetch(signed(running, target, "big.jpg"))
        assert (status, body) == (502, b"the object is too large for this door\n")


def test_a_killed_emulator_comes_back_over_the_same_data(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with emulator_in(tmp_path) as running:
        target = bucket_of(running)
        target.blob("samples/a.jpg").upload_from_string(b"jpeg bytes", content_type="image/jpeg")
        url = signed(running, target, "samples/a.jpg")  # handed out before the restart
        (old,) = emulators(tmp_path / "gcs")
        os.kill(old, signal.SIGKILL)
        started = time.monotonic()
        names: list[str] = []

        def lists() -> bool:  # one short try after another
            try:
                names[:] = [b.name for b in target.list_blobs(timeout=(0.2, 1), retry=None)]
            except requests.exceptions.ConnectionError:
                return False
            return True

        assert wait_for(lists, timeout=5), "the emulator did not come back in 5 s"
        seconds = time.monotonic() - started
        assert names == ["samples/a.jpg"]  # stored objects survive
        target.blob("samples/b.jpg").upload_from_string(b"more", content_type="image/jpeg")
        assert fetch(url)[2] == b"jpeg bytes"  # an old signed URL still works through the door
        (logged,) = supervisor_log(capfd)  # one line per restart
        assert f"fake-gcs-server (pid {old}) was killed by SIGKILL" in logged
        print(f"\nemulator killed to storage answering: {seconds:.2f} s")


def test_a_killed_door_comes_back_on_the_same_port(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with emulator_in(tmp_path) as running:
        target = bucket_of(running)
        target.blob("samples/a.jpg").upload_from_string(b"jpeg bytes", content_type="image/jpeg")
        url = signed(running, target, "samples/a.jpg")
        (old,) = emulators(tmp_path / "gcs", DOOR)
        os.kill(old, signal.SIGKILL)
        started = time.monotonic()
        assert wait_for(lambda: answers(url), timeout=5)
        seconds = time.monotonic() - started
        assert fetch(url)[2] == b"jpeg bytes"
        (logged,) = supervisor_log(capfd)
        assert f"door (pid {old}) was killed by SIGKILL" in logged
        print(f"\ndoor killed to a signed URL answering: {seconds:.2f} s")


def test_an_emulator_that_keeps_dying_is_restarted_ever_more_slowly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """No tight loop when the binary cannot start any more, and back as soon as it can."""
    real, binary = gcs_emulator.binary_path(), tmp_path / "fake-gcs-server"
    binary.symlink_to(real)
    monkeypatch.setattr(gcs_emulator, "binary_path", lambda: binary)
    with emulator_in(tmp_path, browser_port=None) as running:
        binary.unlink()
        binary.write_text("#!/bin/sh\nexit 3\n")
        binary.chmod(0o755)
        os.kill(emulators(tmp_path / "gcs")[0], signal.SIGKILL)
        logged: list[str] = []

        def restarted_thrice() -> bool:
            logged.extend(supervisor_log(capfd))
            return len(logged) >= 3

        assert wait_for(restarted_thrice, timeout=5)
        # Mended during the next pause (4 s): the emulator is back at its end.
        binary.unlink()
        binary.symlink_to(real)
        logged += supervisor_log(capfd)
        pauses = [float(p) for p in re.findall(r"restarting it in ([\d.]+) s", "\n".join(logged))]
        assert pauses[:3] == [0.5, 1.0, 2.0] and len(logged) <= 4, logged
        assert all("exited with code 3" in line for line in logged[1:]), logged
        assert wait_for(lambda: answers(f"{running.url}/storage/v1/b"), timeout=6)
