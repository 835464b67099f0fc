"""Settings come from the environment; a bad value names the variable instead of failing later."""

from __future__ import annotations

import os
import subprocess

import pytest

from app import config
from tests.harness import BIN, ROOT, free_port


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GALLERY_MAX_UPLOAD_BYTES", "GALLERY_DISPLAY_MAX_PX", "GALLERY_MAX_REQUEST_BYTES"):
        monkeypatch.delenv(name, raising=False)
    settings = config.load()
    assert settings.max_upload_bytes == 15_000_000
    assert settings.max_request_bytes == 32 * 1024 * 1024  # Cloud Run's HTTP/1 request limit
    assert (settings.display_max_px, settings.thumb_max_px) == (1600, 320)


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GALLERY_THUMB_MAX_PX", " 200 ")
    assert config.load().thumb_max_px == 200


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("lots", "GALLERY_DISPLAY_QUALITY='lots' is not a whole number"),
        ("0", "GALLERY_DISPLAY_QUALITY=0 is below the minimum of 1"),
        ("100", "GALLERY_DISPLAY_QUALITY=100 is above the maximum of 95"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("GALLERY_DISPLAY_QUALITY", value)
    with pytest.raises(config.ConfigError, match=message):
        config.load()


def test_gallery_ids_from_the_browser_are_checked() -> None:
    from app.gallery import link

    good = "AbCdEfGhIjKlMnOpQrStUv"
    assert link.checked(good) == good
    forged_ids = (
        "../../../outside",
        "a/b",
        "",
        "x" * 22 + "/",
        "AbCdEfGhIjKlMnOpQrStU",
        good + "\n",
    )
    for forged in (*forged_ids, 5, None, ["x" * 22]):  # edited state: any JSON value
        assert link.checked(forged) == ""


@pytest.mark.parametrize(
    "command", [["gunicorn", "app.main:app"], ["mesop", "app/main.py", "--port={port}"]]
)
def test_a_bad_value_stops_the_server_in_one_line(command: list[str]) -> None:
    """However the app starts, a bad setting ends it with one line naming the variable, and no
    traceback (gunicorn reads the settings in gunicorn.conf.py, before any worker starts)."""
    port = free_port()
    result = subprocess.run(
        [str(BIN / command[0]), *(arg.format(port=port) for arg in command[1:])],
        cwd=ROOT,
        env={**os.environ, "GALLERY_MAX_IMAGES": "abc", "PORT": str(port)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    ours = [line for line in output.splitlines() if "GALLERY_MAX_IMAGES" in line]
    assert ours == ["Refusing to start: GALLERY_MAX_IMAGES='abc' is not a whole number"], output


def test_change_tokens_from_the_browser_are_checked() -> None:
    """A server-side cache is keyed by the token only when the server could have made it."""
    from app.gallery import link

    assert link.checked_version("0a1b2c3d") == "0a1b2c3d"
    for forged in ("", "0a1b2c3d\n", "0A1B2C3D", "0a1b2c3d0", "x" * 30_000_000, 12345678, None):
        assert link.checked_version(forged) == ""
