"""The /gcs pattern: images in a Cloud Storage bucket; the browser fetches them by signed URL.

State holds only the gallery's id and a change token (tens of bytes), so clicks stay small however
many images the gallery holds, and image bytes never pass through Mesop: the page hands the
browser short-lived signed URLs and the browser downloads (and caches) the images from the bucket.
The bucket is the source of truth, so a gallery survives reloads, restarts and any replica.

Uploads bypass Mesop too: the browser PUTs each file to the bucket by a signed URL made for that
one object (upload_targets), then names the objects that arrived; the server reads each once,
processes it like any upload, stores the results as below and deletes the original
(app/gallery/direct_upload.py runs those steps).

Bucket layout:
    samples/<sha256>.jpg, samples/<sha256>-thumb.jpg            one copy shared by every gallery
    galleries/<id>/images/<sha256>.jpg, ...-thumb.jpg           uploads, under the gallery's prefix
    galleries/<id>/entries/<time>-<random>                      one empty object per gallery item,
                                                                its metadata says what to show
    incoming/<id>/<random>                                      a browser's upload, until processed
                                                                (a lifecycle rule removes strays)
"""

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass

import flask
import mesop as me
from google.api_core import exceptions as api_exceptions

from app.config import settings
from app.gallery import link
from app.gallery.model import Card, GalleryStatus, Shown, UploadTarget
from app.gallery.processing import ProcessedImage
from app.gcs import bucket

CACHE_CONTROL = "private, max-age=31536000, immutable"  # names are content hashes: never stale


# No `from __future__ import annotations` in this module: Mesop 1.3.7 reads a state class's
# type hints on every request (typing.get_type_hints), and string annotations are evaluated
# anew each time (docs/performance.md, "The cost of a click, decomposed").
@me.stateclass
class GcsGalleryState:
    gallery_id: str  # also in the URL (?gallery=...), so a reload or a restart finds it again
    version: str  # changes with every add or clear: tells a server its cached listing is stale
    status: GalleryStatus


@dataclass(frozen=True)
class Entry:
    key: str
    name: str
    display: str  # object names, never URLs: URLs expire, names do not
    thumb: str
    width: int
    height: int
    size_bytes: int


# Per-process cache of gallery listings, keyed by (gallery id, version): listing the bucket on
# every render would cost a round trip per click. A version the server has not seen means
# another process changed the gallery, and the bucket is listed again.
_listings: OrderedDict[tuple[str, str], list[Entry]] = OrderedDict()
_listings_lock = threading.Lock()
_known_samples: set[str] = set()


def _remember(gallery_id: str, version: str, entries: list[Entry]) -> None:
    with _listings_lock:
        _listings[(gallery_id, version)] = entries
        while len(_listings) > 1000:
            _listings.popitem(last=False)


def _upload(object_name: str, data: bytes, **metadata: str) -> None:
    blob = bucket.get().bucket.blob(object_name)
    blob.cache_control = CACHE_CONTROL
    blob.metadata = metadata or None
    blob.upload_from_string(
        data, content_type="image/jpeg", timeout=bucket.TIMEOUT, retry=bucket.RETRY
    )


def _image_object(gallery_id: str) -> re.Pattern[str]:
    """The only objects a gallery's entry may point to: its own images and the shared samples,
    named as add() names them. Signed URLs are made for nothing else."""
    return re.compile(
        rf"(samples|galleries/{re.escape(gallery_id)}/images)/[0-9a-f]{{64}}(-thumb)?\.jpg"
    )


def _incoming(gallery_id: str) -> re.Pattern[str]:
    """The only objects a gallery's uploads are read from: what upload_targets names."""
    return re.compile(rf"incoming/{re.escape(gallery_id)}/[A-Za-z0-9_-]{{22}}")


# Uploads to delete again at the next cleanup in this process (discard_uploads), with the time
# until which to keep trying: ones storage could not delete, and ones that may still arrive.
# Only names the server made; the bucket's lifecycle rule removes whatever outlives this.
_leftovers: OrderedDict[str, float] = OrderedDict()
_leftovers_lock = threading.Lock()
MAX_LEFTOVERS, LEFTOVERS_PER_CLEANUP = 1000, 50


def _parse_entry(gallery_id: str, name: str, meta: dict[str, str]) -> Entry | None:
    """An entry object written by add(); anything else under the prefix is skipped, and so is an
    entry naming an object outside this gallery. Entries are data read back from the bucket, which
    other code (another version of the app, an operator's script) can write: whatever they say,
    the page signs URLs only for this gallery's images and the samples."""
    try:
        width, height, size = (int(n) for n in meta["size"].split("x"))
        entry = Entry(name.rsplit("/", 1)[1], meta["name"], meta["display"], meta["thumb"],
                      width, height, size)  # fmt: skip
    except (KeyError, ValueError):
        return None
    own = _image_object(gallery_id)
    return entry if own.fullmatch(entry.display) and own.fullmatch(entry.thumb) else None


@dataclass(frozen=True)
class GcsStore:
    """Bytes in the bucket, names in state, signed URLs in the page."""

    def status(self) -> GalleryStatus:
        return me.state(GcsGalleryState).status

    def restore(self) -> None:
        link.reopen(me.state(GcsGalleryState), bucket.check)

    def add(self, image: ProcessedImage) -> str:
        state = me.state(GcsGalleryState)
        gallery_id = state.gallery_id = link.checked(state.gallery_id) or link.new_id()
        prefix = "samples/" if image.sample else f"galleries/{gallery_id}/images/"
        display, thumb = f"{prefix}{image.sha256}.jpg", f"{prefix}{image.sha256}-thumb.jpg"
        key = link.new_item_key()
        existing = self._entries()  # before the new entry exists, or a listing would include it
        with bucket.errors(f"storing {image.name}"):
            target = bucket.get().bucket
            if display not in _known_samples:
                # Only a sample can already be there (stored by another gallery): an upload
                # is not worth a round trip to ask.
                stored = image.sample and target.blob(display).exists(
                    timeout=bucket.TIMEOUT, retry=bucket.RETRY
                )
                if not stored:
                    # Thumbnail first: an existing display image then implies both exist.
                    _upload(thumb, image.thumb_jpeg)
                    _upload(display, image.display_jpeg)
                if image.sample:
                    _known_samples.add(display)
            entry = Entry(key, image.name, display, thumb, image.width, image.height,
                          image.size_bytes)  # fmt: skip
            _upload(
                f"galleries/{gallery_id}/entries/{key}",
                b"",
                name=image.name,
                display=display,
                thumb=thumb,
                size=f"{image.width}x{image.height}x{image.size_bytes}",
            )
        state.version = link.new_version()
        _remember(gallery_id, state.version, [*existing, entry])
        return key

    def _entries(self) -> list[Entry]:
        state = me.state(GcsGalleryState)
        gallery_id = link.checked(state.gallery_id)
        if not gallery_id:
            return []
        version = link.checked_version(state.version)  # never a key the client made up
        with _listings_lock:
            cached = _listings.get((gallery_id, version)) if version else None
        if cached is not None:
            return cached
        entries = []
        with bucket.errors("listing the gallery"):
            prefix = f"galleries/{gallery_id}/entries/"
            for blob in bucket.get().bucket.list_blobs(prefix=prefix, timeout=bucket.TIMEOUT,
                                                    retry=bucket.RETRY):  # fmt: skip
                if entry := _parse_entry(gallery_id, blob.name, blob.metadata or {}):
                    entries.append(entry)
        if version:
            _remember(gallery_id, version, entries)
        return entries

    def _urls(self, names: list[str]) -> list[str]:
        storage = bucket.get()
        with bucket.errors("signing image URLs"):
            return storage.signer.urls(storage.bucket, names)

    def cards(self) -> list[Card]:
        # Asked for three times per click (the render before the handler, the handler's check,
        # the render after), so made once per request and gallery version: the same URLs, and
        # a 48-image grid costs one pass, not three. (Not across requests: URLs expire.)
        state = me.state(GcsGalleryState)
        made: dict[tuple[str, str], list[Card]] = flask.g.setdefault("gcs_cards", {})
        key = (state.gallery_id, state.version)
        if key not in made:
            entries = self._entries()
            urls = self._urls([e.thumb for e in entries])
            made[key] = [Card(e.key, e.name, url) for e, url in zip(entries, urls, strict=True)]
        return list(made[key])

    def shown(self, key: str) -> Shown | None:
        for e in self._entries():
            if e.key == key:
                (url,) = self._urls([e.display])
                return Shown(e.key, e.name, url, e.width, e.height, e.size_bytes)
        return None

    def total_bytes(self) -> int:
        return sum(e.size_bytes for e in self._entries())

    def upload_targets(self, files: Sequence[tuple[str, int]]) -> list[UploadTarget]:
        """Where the browser may PUT each (content type, size) file: a fresh, unguessable object
        under incoming/<gallery>/, by a URL signed for that object, that type and at most that
        size. Signing needs no storage round trip (a local key, or IAM's signBlob)."""
        state = me.state(GcsGalleryState)
        gallery_id = state.gallery_id = link.checked(state.gallery_id) or link.new_id()
        storage = bucket.get()
        targets = []
        with bucket.errors("signing upload URLs"):
            for content_type, size in files:
                name = f"incoming/{gallery_id}/{secrets.token_urlsafe(16)}"
                upload = storage.signer.upload_url(storage.bucket, name, content_type, size)
                targets.append(UploadTarget(name, upload.url, upload.headers))
        return targets

    def upload_object(self, name: object) -> str:
        """`name` if it is an upload object of this gallery as upload_targets names them, else
        "": the browser says which objects arrived, and may say anything."""
        gallery_id = link.checked(me.state(GcsGalleryState).gallery_id)
        ok = gallery_id and isinstance(name, str) and _incoming(gallery_id).fullmatch(name)
        return name if ok else ""

    def uploaded(self, name: str, max_bytes: int) -> bytes | None:
        """The bytes of the upload object `name` (checked by upload_object), at most
        max_bytes + 1 of them; None if it never arrived."""
        with bucket.errors("reading an upload"):
            blob = bucket.get().bucket.blob(name)
            try:
                return blob.download_as_bytes(
                    start=0, end=max_bytes, timeout=bucket.TIMEOUT, retry=bucket.RETRY
                )
            except api_exceptions.NotFound:
                return None

    def discard_uploads(self, names: Sequence[str], unsettled: Sequence[str] = ()) -> None:
        """Delete these upload objects, and some left from earlier cleanups. `unsettled` are
        uploads the browser gave up on: storage may still complete one (a PUT it was sent whole
        and had not answered), until its URL expires, so each is deleted again at every cleanup
        in this process until then. What cannot be deleted now (storage down) is kept for the
        next time; the bucket's lifecycle rule removes whatever this misses."""
        now = time.time()
        with _leftovers_lock:
            pending = list(_leftovers.items())[:LEFTOVERS_PER_CLEANUP]
            for name, _ in pending:
                del _leftovers[name]
        expiry = now + settings.signed_url_minutes * 60 + 60  # and the door's minute of grace
        pending += [*((n, 0.0) for n in names), *((n, expiry) for n in unsettled)]
        kept: list[tuple[str, float]] = []
        try:
            while pending:
                name, until = pending[0]
                with bucket.errors("deleting an upload"), suppress(api_exceptions.NotFound):
                    bucket.get().bucket.blob(name).delete(
                        timeout=bucket.TIMEOUT, retry=bucket.RETRY
                    )
                pending.pop(0)
                if until > now:
                    kept.append((name, until))
        except bucket.StorageUnavailable:
            kept += pending
            raise
        finally:
            with _leftovers_lock:
                _leftovers.update(kept)
                while len(_leftovers) > MAX_LEFTOVERS:
                    _leftovers.popitem(last=False)

    def clear(self) -> None:
        state = me.state(GcsGalleryState)
        gallery_id = link.checked(state.gallery_id)
        if not gallery_id:
            return
        with bucket.errors("clearing the gallery"):
            target = bucket.get().bucket
            prefix = f"galleries/{gallery_id}/"
            for blob in target.list_blobs(
                prefix=prefix, timeout=bucket.TIMEOUT, retry=bucket.RETRY
            ):
                blob.delete(timeout=bucket.TIMEOUT, retry=bucket.RETRY)
        state.version = link.new_version()
        _remember(gallery_id, state.version, [])
