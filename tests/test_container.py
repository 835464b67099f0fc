"""The container's command, run without Docker (Docker cannot run here).

The Dockerfile's ENV and CMD are read from the Dockerfile itself, so these tests break when it
changes in a way that no longer serves the app as docs/deploy.md says. Only two things differ
from the container: the executable is this virtualenv's gunicorn, and the app listens on loopback
(GUNICORN_HOST=127.0.0.1, as `docker run -e` would set it) because servers here stay on loopback.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import shlex
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.gallery_page import add_samples, open_gallery, select
from tests.harness import BIN, ROOT, free_port, run
from tests.procs import emulators

# Never reach for a metadata server (no network here): Google's auth library would ask it.
NO_METADATA = {"GCE_METADATA_HOST": "127.0.0.1:9", "GCE_METADATA_IP": "127.0.0.1:9"}
SERVER_VARIABLES = ("PORT", "WEB_CONCURRENCY", "K_SERVICE", "GCS_BUCKET", "STORAGE_EMULATOR_HOST")


def dockerfile() -> tuple[dict[str, str], list[str]]:
    """(the ENV it sets, its CMD in exec form with this virtualenv's executable)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV (.+)$", text, flags=re.MULTILINE):
        env.update(item.split("=", 1) for item in shlex.split(line))
    (cmd,) = re.findall(r"^CMD (.+)$", text, flags=re.MULTILINE)
    command = json.loads(cmd)  # exec form: gunicorn is PID 1 and receives Cloud Run's SIGTERM
    return env, [str(BIN / command[0]), *command[1:]]


def container_env(**overrides: str) -> dict[str, str]:
    """This machine's environment without server settings, then the Dockerfile's, then ours."""
    env = {k: v for k, v in os.environ.items()
           if k not in SERVER_VARIABLES and not k.startswith("GUNICORN_")}  # fmt: skip
    return {**env, **dockerfile()[0], **NO_METADATA, **overrides}


def gunicorn_settings(env: dict[str, str], *flags: str) -> dict[str, object]:
    """What gunicorn resolves from gunicorn.conf.py, the environment and the command line."""
    _, command = dockerfile()
    code = (
        "import json, sys; from gunicorn.app.wsgiapp import WSGIApplication; "
        f"sys.argv = {['gunicorn', *flags, *command[1:]]!r}; c = WSGIApplication().cfg; "
        "print(json.dumps([c.bind, c.workers, c.threads, c.worker_class_str, c.timeout]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    bind, workers, threads, worker_class, timeout = json.loads(out.stdout)
    return {"bind": bind, "workers": workers, "threads": threads, "worker_class": worker_class,
            "timeout": timeout}  # fmt: skip


def test_the_container_listens_on_port_with_the_confs_defaults() -> None:
    defaults = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert gunicorn_settings(container_env(PORT="8080")) == {
        "bind": ["0.0.0.0:8080"],  # all interfaces, Cloud Run's port
        "workers": defaults["WORKERS"],
        "threads": defaults["THREADS"],
        "worker_class": defaults["WORKER_CLASS"],
        "timeout": defaults["TIMEOUT"],
    }


def test_the_environment_overrides_the_defaults_and_flags_override_both() -> None:
    env = container_env(PORT="9000", WEB_CONCURRENCY="3", GUNICORN_THREADS="1",
                        GUNICORN_WORKER_CLASS="sync", GUNICORN_TIMEOUT="30")  # fmt: skip
    assert gunicorn_settings(env) == {"bind": ["0.0.0.0:9000"], "workers": 3, "threads": 1,
                                      "worker_class": "sync", "timeout": 30}  # fmt: skip
    flagged = gunicorn_settings(env, "--bind", "127.0.0.1:9001", "--workers", "2")
    assert (flagged["bind"], flagged["workers"], flagged["threads"]) == (["127.0.0.1:9001"], 2, 1)


def test_a_bad_setting_is_named_in_one_line() -> None:
    _, command = dockerfile()
    out = subprocess.run(command, cwd=ROOT, env=container_env(GUNICORN_THREADS="many"),
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode != 0
    assert "GUNICORN_THREADS='many' is not a whole number" in out.stderr
    assert "Traceback" not in out.stderr


def test_on_cloud_run_without_a_bucket_gunicorn_refuses_to_start(tmp_path: Path) -> None:
    _, command = dockerfile()
    env = container_env(PORT=str(free_port()), GUNICORN_HOST="127.0.0.1", K_SERVICE="gallery",
                        GCS_EMULATOR_DATA_DIR=str(tmp_path / "gcs"))  # fmt: skip
    out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert (
        "Refusing to start: GCS_BUCKET is not set: on Cloud Run the /gcs page needs a real bucket"
        in out.stderr
    )
    assert "Traceback" not in out.stderr and "Booting worker" not in out.stderr
    assert emulators(tmp_path / "gcs") == []


def test_on_cloud_run_the_containers_command_serves_the_app_without_an_emulator(
    page: Page, tmp_path: Path
) -> None:
    _, command = dockerfile()
    port = free_port()
    env = container_env(PORT=str(port), GUNICORN_HOST="127.0.0.1", K_SERVICE="gallery",
                        GCS_BUCKET="never-contacted-here",
                        GCS_EMULATOR_DATA_DIR=str(tmp_path / "gcs"))  # fmt: skip
    with run(command, port, env, tmp_path / "server.log") as server:
        assert emulators(tmp_path / "gcs") == []
        open_gallery(page, server.url + "/base64")
        expect(page.get_by_text("Mesop state session backend: none")).to_be_visible()
        add_samples(page)
        select(page, "glacier-noon.jpg")
    assert "emulator" not in server.log.read_text().lower()


def test_the_docs_state_the_confs_defaults() -> None:
    """The defaults live at the top of gunicorn.conf.py; README and docs/deploy.md repeat them."""
    defaults = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    readme, deploy = (ROOT / "README.md").read_text(), (ROOT / "docs" / "deploy.md").read_text()
    pairs = {"WEB_CONCURRENCY": "WORKERS", "GUNICORN_THREADS": "THREADS",
             "GUNICORN_WORKER_CLASS": "WORKER_CLASS", "GUNICORN_TIMEOUT": "TIMEOUT"}  # fmt: skip
    for variable, name in pairs.items():
        row = f"| `{variable}` | `{defaults[name]}`"
        assert row in readme and row in deploy, f"{row}… missing from README or docs/deploy.md"


def test_dependencies_are_installed_before_the_code_is_copied() -> None:
    """Layer caching: a change to the code must not reinstall every dependency; and the build
    context leaves out what a local install generates."""
    steps = [line.split()[0:3] for line in (ROOT / "Dockerfile").read_text().splitlines()]
    install = steps.index(["RUN", "pip", "install"])
    first_code = min(i for i, step in enumerate(steps) if step[:2] == ["COPY", "app"])
    assert install < first_code
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"*.egg-info", ".gcs-data", "app/.hot_reload_trigger.py"} <= set(ignored)
