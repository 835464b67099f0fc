"""What keeps one visitor's gallery from another's, at the unit level: unguessable and validated
ids, signed URLs only for the caller's own objects, and no URL that lists the bucket.

The end-to-end side (two browsers, each seeing only its own uploads) is in
tests/test_e2e_hardening.py. The local emulator checks no signatures, so what a signed URL allows is
checked here, against the signature, as Cloud Storage would check it.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app.gallery import link
from app.gcs.signing import UrlSigner
from app.stores.gcs_store import _parse_entry
from tests.test_signing import ENDPOINT, assert_signed_by, blob, key, key_file_credentials

__all__ = ["key"]  # the fixture, imported for the tests below

OWN = link.random_id()
OTHER = link.random_id()
HASH = "ab" * 32


def test_gallery_ids_are_128_random_bits_and_pass_their_own_check() -> None:
    ids = {link.random_id() for _ in range(2000)}
    assert len(ids) == 2000
    for gallery_id in list(ids)[:50]:
        assert len(base64.urlsafe_b64decode(gallery_id + "==")) == 16
        assert link.checked(gallery_id) == gallery_id


def entry(display: str, thumb: str | None = None) -> dict[str, str]:
    thumb = thumb or display.replace(".jpg", "-thumb.jpg")
    return {"name": "x.jpg", "display": display, "thumb": thumb, "size": "10x10x100"}


@pytest.mark.parametrize(
    "display",
    [f"galleries/{OWN}/images/{HASH}.jpg", f"samples/{HASH}.jpg"],
)
def test_an_entry_may_name_its_own_images_and_the_samples(display: str) -> None:
    parsed = _parse_entry(OWN, f"galleries/{OWN}/entries/0001-abc", entry(display))
    assert parsed is not None and parsed.display == display


@pytest.mark.parametrize(
    "display",
    [
        f"galleries/{OTHER}/images/{HASH}.jpg",  # another gallery's image
        f"galleries/{OWN}/images/../../{OTHER}/images/{HASH}.jpg",  # a path a URL would resolve
        f"galleries/{OWN}/entries/0001-abc",  # not an image object
        f"galleries/{OWN}/images/{HASH}.png",
        f"samples/{HASH[:-1]}.jpg",
        "",
    ],
)
def test_an_entry_naming_anything_else_is_skipped(display: str) -> None:
    """So the page never signs a URL for it, whatever wrote the entry."""
    assert _parse_entry(OWN, f"galleries/{OWN}/entries/0001-abc", entry(display)) is None
    own_display = f"galleries/{OWN}/images/{HASH}.jpg"
    assert _parse_entry(OWN, "e/1", entry(own_display, thumb=display or "x")) is None


@pytest.mark.parametrize("path", ["/b", "/b/", "/b/samples/", "/b/o"])
def test_a_signed_object_url_cannot_be_turned_into_a_listing(
    key: rsa.RSAPrivateKey, path: str
) -> None:
    """The browser only ever gets GET URLs for single objects. The signature covers the path,
    so the same URL aimed at the bucket (a listing) does not verify on Cloud Storage."""
    url = UrlSigner(key_file_credentials(key), endpoint=ENDPOINT).url(*blob())
    assert_signed_by(url, key.public_key())
    listing = url.replace("/b/samples/abc.jpg", path, 1)
    assert listing != url
    with pytest.raises(pytest.fail.Exception):
        assert_signed_by(listing, key.public_key())
