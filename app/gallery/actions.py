"""Event handlers shared by every gallery page, bound to a page's store with functools.partial.

Why generators: Mesop re-renders at each `yield`, so a long batch shows its progress ("Processing 3
of 12") instead of a frozen page. Why catch ImageRejected here: a refused file must become a
visible message with its name and reason, and the rest of the batch must still go through. The
count limits (files per upload, images per gallery) and each visitor's share (fairness.py) are
checked here, before any decoding, and the same way for every pattern.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import flask
import mesop as me

from app.config import settings
from app.gallery import fairness, samples
from app.gallery.model import ImageStore, StoreUnavailable
from app.gallery.processing import ImageRejected, clean_name, process_image

SAMPLES_PER_CLICK = 12
NAMES_LISTED = 10  # a refusal of many files names this many, then says how many more


def _in_sync(store: ImageStore) -> bool:
    """False (and the page reloads) if the gallery vanished since the browser last rendered it.

    Mesop re-renders the page just before running a handler and sends the browser only the
    difference between that render and the next. If server-side data vanished in between (a
    /memory gallery expired or was evicted, storage went down before a listing was cached), that
    re-render already lacks it, the difference misses it, and the browser would keep showing a
    gallery that is gone. A full page load shows the page as it is, and why (see on_load).

    A generator handler must then yield once before it returns: Mesop (1.3.7) renders, and sends
    the commands a handler queued (this reload), once per `yield`; a generator that returns
    without yielding sends nothing, and the browser would stay as it was.
    """
    try:
        store.cards()
        return True
    except StoreUnavailable:
        page = urlsplit(flask.request.referrer or "")  # the page that sent this event
        if page.scheme in ("http", "https"):
            # An absolute URL: Mesop's client then does a full page load.
            url = urlunsplit((page.scheme, page.netloc, page.path, "", ""))
            me.navigate(url, query_params=me.query_params)
        return False


def refused_files(names: list[str], reason: str) -> str:
    """One line for several files refused for the same reason: a line per file would bury the
    page under a 500-file drop."""
    listed = ", ".join(names[:NAMES_LISTED])
    more = f" and {len(names) - NAMES_LISTED} more" if len(names) > NAMES_LISTED else ""
    if len(names) == 1:
        return f"Refused {listed}: {reason}"
    return f"Refused {len(names)} files ({listed}{more}): {reason}"


def _room(store: ImageStore) -> int:
    """How many more images the gallery may hold (checked per batch; a second tab adding to the
    same gallery at the same moment can pass the limit by its own batch). The gallery's size is
    also what the grid keeps showing while the batch runs (`held`, see view.gallery)."""
    status = store.status()
    status.held = len(store.cards())
    return settings.max_gallery_images - status.held


def _names(start: int, end: int) -> list[str]:
    return [samples.sample_name(samples.SAMPLE_FILES[i]) for i in range(start, end)]


def _gallery_full() -> str:
    return (
        f"the gallery holds {settings.max_gallery_images} images, its limit. "
        "Clear the gallery to add others."
    )


def _start(store: ImageStore) -> None:
    status = store.status()
    status.notice = ""
    status.error = ""


def add_samples(store: ImageStore, event: me.ClickEvent) -> Iterator[None]:
    if not _in_sync(store):
        yield  # the reload reaches the browser only with a render: see _in_sync
        return
    _start(store)
    status = store.status()
    wanted = min(SAMPLES_PER_CLICK, len(samples.SAMPLE_FILES))
    try:
        count = min(wanted, max(0, _room(store)))
        if count < wanted:
            status.note(refused_files(_names(count, wanted), _gallery_full()))
        who = fairness.visitor()
        for index in range(count):
            status.progress = f"Adding sample {index + 1} of {count}…"
            yield
            sample = samples.load_sample(index)
            if refused := fairness.shares.take(who, sample.size_bytes):
                status.note(refused_files(_names(index, count), refused))
                break
            store.add(sample)
    except ImageRejected as refused:  # a store's own limit, e.g. /memory's per-gallery cap
        status.note(f"Refused {refused.name}: {refused.reason}")
    except StoreUnavailable as failure:
        status.error = str(failure)
    status.progress = ""
    yield


def upload(store: ImageStore, event: me.UploadEvent) -> Iterator[None]:
    if not _in_sync(store):
        yield  # the reload reaches the browser only with a render: see _in_sync
        return
    _start(store)
    status = store.status()
    files = [(clean_name(file.name), file) for file in event.files]
    most = settings.max_files_per_upload
    if len(files) > most:
        beyond = f"at most {most} files are taken per upload. Upload these in another batch."
        status.note(refused_files([name for name, _ in files[most:]], beyond))
        files = files[:most]
    try:
        room = _room(store)
    except StoreUnavailable as failure:
        status.error = str(failure)
        files = []
    who = fairness.visitor()
    for index, (name, file) in enumerate(files, start=1):
        if room <= 0:
            status.note(refused_files([n for n, _ in files[index - 1 :]], _gallery_full()))
            break
        if refused := fairness.shares.take(who):
            status.note(refused_files([n for n, _ in files[index - 1 :]], refused))
            break
        status.progress = f"Processing {index} of {len(files)}: {name}"
        yield
        try:
            room -= keep(store, who, name, file.getvalue())
        except StoreUnavailable as failure:
            status.error = str(failure)
            break
    status.progress = ""
    yield


def keep(store: ImageStore, who: str | None, name: str, data: bytes | None) -> int:
    """Process one uploaded file and store it: 1 if kept, 0 if refused (a line naming it, and
    the batch goes on). StoreUnavailable is the caller's: it ends the batch."""
    try:
        if data is None:
            raise ImageRejected(name, "the upload never reached Cloud Storage. Try it again.")
        image = process_image(name, data)
        fairness.shares.charge(who, image.size_bytes)
        store.add(image)
        return 1
    except ImageRejected as refused:
        store.status().note(f"Refused {refused.name}: {refused.reason}")
        return 0


def select(store: ImageStore, event: me.WebEvent) -> None:
    """A thumbnail click: the grid (app/gallery/thumbnails.js) sends {"key": the image's key}."""
    if not _in_sync(store):
        return
    key = event.value.get("key") if isinstance(event.value, dict) else None
    if not isinstance(key, str):
        return  # not sent by the grid: nothing to select
    store.status().selected = key
    store.status().error = ""


def clear(store: ImageStore, event: me.ClickEvent) -> None:
    if not _in_sync(store):
        return
    _start(store)
    try:
        store.clear()
    except StoreUnavailable as failure:
        store.status().error = str(failure)
        return
    store.status().selected = ""
