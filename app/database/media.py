"""The /database page's images, served by the app at `/media/<gallery id>/<sha256>.jpg`.

Why a route of the app, not Mesop: an image sent inside Mesop's reply (a data URL, as /memory
does) is sent again whenever a component shows it, and the browser cannot cache it. Served by URL,
the browser fetches each image once and keeps it: names are content hashes, so they never go
stale (`Cache-Control: private, max-age=31536000, immutable`, and an ETag for revalidation).

What it serves, to anyone: only an image that the named gallery shows. A gallery's id is 128
random bits and a name is a SHA-256, so neither can be guessed, and one gallery's link never
opens another's images. An image is read in one query and sent in CHUNK-byte pieces: a display
JPEG is at most 1600 px on its long side (a few hundred kB), and a query per piece would cost
more, not less (SQLite's substr() reads the whole blob each time). A revalidation or a HEAD reads
only its size. Anything else gets a short plain-text answer (404, 405, 503), never a traceback.

It is plain WSGI middleware, mounted in front of Mesop's app (app/main.py), as Mesop's guide to
server integration suggests; under `mesop app/main.py` too, from the second request on
(app/wsgi.py, `wrap_on_first_request`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from app.database import engine as db
from app.database.schema import blobs, items
from app.wsgi import WsgiApp, plain

PREFIX = "/media/"
PATH = re.compile(r"/media/(?P<gallery>[A-Za-z0-9_-]{22})/(?P<sha>[0-9a-f]{64})\.jpg")
CACHE_CONTROL = "private, max-age=31536000, immutable"
CHUNK = 64 * 1024

log = logging.getLogger(__name__)


def media_url(gallery_id: str, sha256: str) -> str:
    """Relative to the page, so it works behind any host name or proxy."""
    return f"{PREFIX}{gallery_id}/{sha256}.jpg"


def mount(app: WsgiApp) -> WsgiApp:
    """`app`, with `/media/...` answered here."""

    def routed(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not environ.get("PATH_INFO", "").startswith(PREFIX):
            return app(environ, start_response)
        return serve(environ, start_response)

    return routed


def serve(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    if method not in ("GET", "HEAD"):
        return plain(start_response, "405 Method Not Allowed", "Only GET.", ("Allow", "GET, HEAD"))
    found = PATH.fullmatch(environ.get("PATH_INFO", ""))
    if not found:
        return _bodiless(method, plain(start_response, "404 Not Found", "No such image."))
    gallery_id, sha = found["gallery"], found["sha"]
    etag = f'"{sha}"'
    headers = [("Cache-Control", CACHE_CONTROL), ("ETag", etag)]
    matches = _etags(environ.get("HTTP_IF_NONE_MATCH", ""))
    unchanged = etag in matches or "*" in matches  # "*": any version the server has
    shows_it = select(items.c.key).where(
        items.c.gallery_id == gallery_id, (items.c.display == sha) | (items.c.thumb == sha)
    )
    wanted = blobs.c.size_bytes if unchanged or method == "HEAD" else blobs.c.jpeg
    try:
        with db.errors("reading an image"), db.get().engine.connect() as connection:
            value = connection.scalar(
                select(wanted).where(blobs.c.sha256 == sha, shows_it.exists())
            )
    except db.DatabaseUnavailable as failure:
        log.warning("media route: %s", failure)
        unreachable = "The database is unreachable; try again in a moment."
        return _bodiless(
            method,
            plain(start_response, "503 Service Unavailable", unreachable, ("Retry-After", "5")),
        )
    if value is None:
        missing = plain(start_response, "404 Not Found", "No such image in this gallery.")
        return _bodiless(method, missing)
    if unchanged:
        start_response("304 Not Modified", headers)
        return []
    size = value if method == "HEAD" else len(value)
    headers += [("Content-Type", "image/jpeg"), ("Content-Length", str(size))]
    start_response("200 OK", [*headers, ("X-Content-Type-Options", "nosniff")])
    if method == "HEAD":
        return []
    jpeg = memoryview(value)
    return (bytes(jpeg[start : start + CHUNK]) for start in range(0, size, CHUNK))


def _bodiless(method: str, body: list[bytes]) -> list[bytes]:
    """A HEAD answer has the headers of the GET answer and no body (RFC 9110 §9.3.2)."""
    return [] if method == "HEAD" else body


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
