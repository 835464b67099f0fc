"""The /database page's image route as WSGI, against a real SQLite file: exact bytes across
chunks, cache headers, HEAD, and the answers to what it must not serve."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.database import engine as db
from app.database import media
from app.database.schema import blobs, items

GALLERY = "AbCdEfGhIjKlMnOpQrStUv"


@pytest.fixture
def database(tmp_path: Path, database_at: Callable[[Path], None]) -> Iterator[bytes]:
    """A fresh database for this test (the engine is per process), holding one image of just
    over three chunks in GALLERY."""
    database_at(tmp_path / "media.sqlite3")
    jpeg = os.urandom(3 * media.CHUNK + 123)
    sha = hashlib.sha256(jpeg).hexdigest()
    with db.get().engine.begin() as connection:
        connection.execute(blobs.insert().values(sha256=sha, jpeg=jpeg, size_bytes=len(jpeg)))
        connection.execute(
            items.insert().values(gallery_id=GALLERY, key="k", position=1, name="a.jpg",
                                  display=sha, thumb=sha, width=1, height=1, size_bytes=len(jpeg))
        )  # fmt: skip
    yield jpeg
    db.get().engine.dispose()


def call(path: str, method: str = "GET", **headers: str) -> tuple[str, dict[str, str], bytes]:
    answer: dict[str, object] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        answer.update(status=status, headers=dict(response_headers))

    untouched = lambda environ, start: pytest.fail("reached the app behind the route")  # noqa: E731
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, **headers}
    body = b"".join(media.mount(untouched)(environ, start_response))
    return answer["status"], answer["headers"], body  # type: ignore[return-value]


def url(jpeg: bytes, gallery: str = GALLERY) -> str:
    return media.media_url(gallery, hashlib.sha256(jpeg).hexdigest())


def test_an_image_comes_whole_across_chunks_with_cache_headers(database: bytes) -> None:
    status, headers, body = call(url(database))
    assert status == "200 OK"
    assert body == database
    assert headers["Content-Length"] == str(len(database))
    assert headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert headers["ETag"] == f'"{hashlib.sha256(database).hexdigest()}"'
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_head_and_revalidation_send_no_body(database: bytes) -> None:
    status, headers, body = call(url(database), "HEAD")
    assert (status, body, headers["Content-Length"]) == ("200 OK", b"", str(len(database)))
    etag = f'W/"{hashlib.sha256(database).hexdigest()}", "other"'
    assert call(url(database), HTTP_IF_NONE_MATCH=etag)[0::2] == ("304 Not Modified", b"")


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("/media/BbCdEfGhIjKlMnOpQrStUv/{sha}.jpg", "GET", "404 Not Found"),  # another gallery
        ("/media/{gallery}/{sha}.png", "GET", "404 Not Found"),
        ("/media/{gallery}/{sha}.jpg/", "GET", "404 Not Found"),
        ("/media/{gallery}/../{sha}.jpg", "GET", "404 Not Found"),
        ("/media/{gallery}\n/{sha}.jpg", "GET", "404 Not Found"),
        ("/media/{gallery}/{sha}.jpg", "POST", "405 Method Not Allowed"),
        ("/media/{gallery}/{sha}.jpg", "DELETE", "405 Method Not Allowed"),
    ],
)
def test_what_it_must_not_serve_gets_a_short_plain_answer(
    database: bytes, path: str, method: str, status: str
) -> None:
    sha = hashlib.sha256(database).hexdigest()
    answered, headers, body = call(path.format(gallery=GALLERY, sha=sha), method)
    assert answered == status
    assert headers["Content-Type"].startswith("text/plain")
    assert database[:64] not in body and len(body) < 100


def test_a_database_that_cannot_be_reached_is_a_503_not_a_traceback(
    tmp_path: Path, database_at: Callable[[Path], None]
) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    database_at(a_file / "db.sqlite3")
    status, headers, body = call(media.media_url(GALLERY, "0" * 64))
    assert status == "503 Service Unavailable"
    assert headers["Retry-After"] == "5"
    assert body == b"The database is unreachable; try again in a moment.\n"


def test_a_missing_image_answers_head_without_a_body_and_star_revalidates(
    database: bytes,
) -> None:
    status, headers, body = call(url(database, gallery="ZZZZZZZZZZZZZZZZZZZZZZ"), "HEAD")
    assert status == "404 Not Found" and body == b""
    assert int(headers["Content-Length"]) > 0  # what the GET would carry
    assert call("/media/nope", "HEAD")[2] == b""
    status, _, body = call(url(database), HTTP_IF_NONE_MATCH="*")
    assert status == "304 Not Modified" and body == b""
