"""Settings come from the environment; a bad value names the variable instead of failing later."""

from __future__ import annotations

import pytest

import config


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GALLERY_MAX_UPLOAD_BYTES", "GALLERY_DISPLAY_MAX_PX", "GALLERY_MAX_REQUEST_BYTES"):
        monkeypatch.delenv(name, raising=False)
    settings = config.load()
    assert settings.max_upload_bytes == 15 * 1024 * 1024
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
    from gallery import link

    good = "AbCdEfGhIjKlMnOpQrStUv"
    assert link.checked(good) == good
    for forged in ("../../../outside", "a/b", "", "x" * 22 + "/", "AbCdEfGhIjKlMnOpQrStU"):
        assert link.checked(forged) == ""
