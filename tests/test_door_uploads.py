"""The emulator's browser door takes uploads as Cloud Storage would: only a PUT of one incoming/
object by an unexpired V4 URL the app signed, with the signed type and a size within the signed
range; it answers their CORS preflights itself; and an upload cut off midway stores nothing.

The rule (`browser_proxy.refusal`) is tested on its own, with URLs signed by the app's own code
and real keys; then the door itself, in front of the real fake-gcs-server.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from app.gcs import browser_proxy
from app.gcs.emulator import LOCAL_BUCKET, Emulator, start
from app.gcs.signing import (
    UploadUrl,
    UrlSigner,
    local_credentials,
    local_key,
    public_key_text,
    throwaway_credentials,
)
from tests.procs import emulators

DOOR = "http://127.0.0.1:9999"
NAME = "incoming/" + "g" * 22 + "/" + "u" * 22
CAP = 5000
UPLOADS = browser_proxy.Uploads(browser_proxy.load_key(public_key_text(local_key())), CAP)


def bucket(name: str = LOCAL_BUCKET, endpoint: str = DOOR) -> storage.Bucket:
    client = storage.Client(
        project="local",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": endpoint},
    )
    return client.bucket(name)


def upload_url(
    name: str = NAME, content_type: str = "image/jpeg", max_bytes: int = 1000, **options: object
) -> UploadUrl:
    credentials = options.pop("credentials", local_credentials())
    signer = UrlSigner(credentials, endpoint=str(options.pop("endpoint", DOOR)))
    return signer.upload_url(bucket(), name, content_type, max_bytes)


def sent(upload: UploadUrl, length: int = 100, **changed: str) -> dict[str, str]:
    """The headers a browser sends with the upload (lower-cased, as the door reads them)."""
    headers = {"host": urlsplit(upload.url).netloc, "content-length": str(length)}
    headers |= {k.lower(): v for k, v in upload.headers.items()}
    return {**headers, **changed}


def target(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def rule(method: str, url: str, headers: dict[str, str], uploads=UPLOADS, now=None) -> str:
    return browser_proxy.refusal(
        method, target(url), LOCAL_BUCKET, headers, time.time() if now is None else now, uploads
    )


# --- the rule ---


def test_a_signed_upload_passes() -> None:
    upload = upload_url()
    assert rule("PUT", upload.url, sent(upload)) == ""
    assert rule("PUT", upload.url, sent(upload, 0)) == ""
    assert rule("PUT", upload.url, sent(upload, 1000)) == ""


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("expired", "403 the signed URL has expired or is not yet valid"),
        ("another object", "403 the signature does not match this upload"),
        ("another key", "403 the signature does not match this upload"),
        ("another type", "403 the signature does not match this upload"),
        ("a larger range", "403 the signature does not match this upload"),
        ("no range", "403 the signature does not match this upload"),
        ("over the range", "413 the upload is outside the size its URL allows"),
        ("over the door's cap", "413 the upload is outside the size its URL allows"),
        ("chunked", "411 an upload must say its length"),
        ("no length", "411 an upload must say its length"),
        ("outside incoming/", "403 uploads go only to incoming/ objects"),
        ("a read URL", "403 not a signed upload URL"),
        ("no uploads here", "403 this door takes no uploads"),
        ("another bucket", "404 only objects of the bucket mesop-gallery are served here"),
    ],
)
def test_an_upload_is_refused(case: str, expected: str) -> None:
    upload = upload_url()
    url, headers, uploads, now = upload.url, sent(upload), UPLOADS, time.time()
    if case == "expired":
        now += 16 * 60  # the URL lived 15 minutes, and the door allows a minute for clocks
    elif case == "another object":
        url = url.replace("/" + "u" * 22, "/" + "v" * 22)
    elif case == "another key":
        upload = upload_url(credentials=throwaway_credentials())
        url, headers = upload.url, sent(upload)
    elif case == "another type":
        headers["content-type"] = "image/png"
    elif case == "a larger range":
        headers["x-goog-content-length-range"] = "0,99999999"
    elif case == "no range":
        del headers["x-goog-content-length-range"]
    elif case == "over the range":
        headers["content-length"] = "1001"
    elif case == "over the door's cap":
        upload = upload_url(max_bytes=CAP * 2)
        url, headers = upload.url, sent(upload, CAP + 1)
    elif case == "chunked":
        del headers["content-length"]
        headers["transfer-encoding"] = "chunked"
    elif case == "no length":
        del headers["content-length"]
    elif case == "outside incoming/":
        upload = upload_url("samples/" + "a" * 64 + ".jpg")
        url, headers = upload.url, sent(upload)
    elif case == "a read URL":
        url = UrlSigner(local_credentials(), endpoint=DOOR).url(bucket(), NAME)
    elif case == "no uploads here":
        uploads = None
    elif case == "another bucket":
        upload = local_upload_in("another-bucket")
        url, headers = upload.url, sent(upload)
    assert rule("PUT", url, headers, uploads, now) == expected


def local_upload_in(bucket_name: str) -> UploadUrl:
    signer = UrlSigner(local_credentials(), endpoint=DOOR)
    return signer.upload_url(bucket(bucket_name), NAME, "image/jpeg", 1000)


def preflight(url: str, headers: str) -> dict[str, str]:
    return {
        "host": urlsplit(url).netloc,
        "origin": "http://127.0.0.1:8080",
        "access-control-request-method": "PUT",
        "access-control-request-headers": headers,
    }


def test_preflights_for_uploads_are_allowed_with_the_signed_headers_only() -> None:
    url = upload_url().url
    assert rule("OPTIONS", url, preflight(url, "content-type,x-goog-content-length-range")) == ""
    assert rule("OPTIONS", url, preflight(url, "Content-Type")) == ""
    refused = "403 an upload sends only its content type and size range"
    assert rule("OPTIONS", url, preflight(url, "content-type,authorization")) == refused
    samples = url.replace(NAME, "samples/a.jpg")
    assert rule("OPTIONS", samples, preflight(samples, "content-type")).startswith("403")
    assert rule("OPTIONS", url, preflight(url, ""), uploads=None).startswith("403")


# --- the door, in front of the real emulator ---


@contextlib.contextmanager
def door(tmp_path: Path, cap: int = CAP) -> Iterator[Emulator]:
    running = start(
        str(tmp_path / "gcs"),
        browser_port=0,
        upload_key=public_key_text(local_key()),
        max_upload_bytes=cap,
    )
    try:
        client = storage.Client(
            project="local",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": running.url},
        )
        client.create_bucket(LOCAL_BUCKET)
        yield running
    finally:
        running.stop()
    assert emulators(tmp_path / "gcs") == []


def stored(running: Emulator) -> dict[str, tuple[int, str]]:
    found = bucket(endpoint=running.url).client.list_blobs(LOCAL_BUCKET, prefix="incoming/")
    return {blob.name: (blob.size, blob.content_type) for blob in found}


def send(
    url: str, method: str, body: bytes | None = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), refused.read()


def test_the_door_takes_a_signed_upload_and_answers_its_preflight(tmp_path: Path) -> None:
    with door(tmp_path) as running:
        upload = upload_url(endpoint=running.public_url)
        origin = {"Origin": "http://127.0.0.1:8080"}
        asked = "content-type,x-goog-content-length-range"
        status, headers, body = send(
            upload.url, "OPTIONS", **origin,
            **{"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": asked},
        )  # fmt: skip
        assert (status, body) == (200, b"")
        assert headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8080"
        assert headers["Access-Control-Allow-Methods"] == "PUT"
        assert (
            headers["Access-Control-Allow-Headers"] == "content-type, x-goog-content-length-range"
        )
        status, headers, _ = send(upload.url, "PUT", b"\xff\xd8" * 300, **origin, **upload.headers)
        assert status == 200 and headers["Access-Control-Allow-Origin"]
        assert stored(running) == {NAME: (600, "image/jpeg")}


def test_the_door_refuses_a_forged_or_oversized_upload_and_says_why(tmp_path: Path) -> None:
    with door(tmp_path) as running:
        upload = upload_url(endpoint=running.public_url)
        origin = {"Origin": "http://127.0.0.1:8080"}
        other = upload.url.replace("/" + "u" * 22, "/" + "v" * 22)
        refusals = [
            (other, upload.headers, 100, "403 the signature does not match this upload"),
            (upload.url, {**upload.headers, "Content-Type": "text/html"}, 100, "403 the"),
            (upload.url, upload.headers, 1001, "413 the upload is outside the size"),
        ]
        for url, headers, length, why in refusals:
            status, answer, body = send(url, "PUT", b"x" * length, **origin, **headers)
            code, _, text = why.partition(" ")
            assert (status, body.decode().startswith(text)) == (int(code), True), (status, body)
            # The page's script can read why (CORS), as from Cloud Storage.
            assert answer["Access-Control-Allow-Origin"] == "http://127.0.0.1:8080"
        assert stored(running) == {}


def test_an_upload_cut_off_midway_stores_nothing(tmp_path: Path) -> None:
    """The browser goes away after half the body: the emulator's request is cut off too."""
    with door(tmp_path) as running:
        upload = upload_url(endpoint=running.public_url, max_bytes=CAP)
        parts = urlsplit(upload.url)
        head = (
            f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Content-Type: image/jpeg\r\nx-goog-content-length-range: 0,{CAP}\r\n"
            f"Content-Length: {CAP}\r\n\r\n"
        )
        with socket.create_connection((parts.hostname, parts.port), timeout=5) as browser:
            browser.sendall(head.encode() + b"x" * (CAP // 2))
            time.sleep(0.3)
        time.sleep(0.5)
        assert stored(running) == {}
        # The door is still there for the next upload.
        assert send(upload.url, "PUT", b"y" * 10, **upload.headers)[0] == 200
        assert stored(running) == {NAME: (10, "image/jpeg")}


def test_an_emulator_without_a_door_allows_the_upload_headers_itself(tmp_path: Path) -> None:
    """STORAGE_EMULATOR_HOST pointing at an emulator this app did not put a door in front of:
    browsers upload to it directly, so its own CORS answer must allow the signed range header."""
    running = start(str(tmp_path / "gcs"))
    try:
        url = upload_url(endpoint=running.url).url
        asked = "content-type,x-goog-content-length-range"
        status, headers, _ = send(
            url, "OPTIONS", Origin="http://127.0.0.1:8080",
            **{"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": asked},
        )  # fmt: skip
        assert status == 200
        assert re.search(
            "x-goog-content-length-range", headers["Access-Control-Allow-Headers"], re.I
        )
    finally:
        running.stop()
