"""Event handlers shared by every gallery page, bound to a page's store with functools.partial.

Why generators: Mesop re-renders at each `yield`, so a long batch shows its progress ("Processing 3
of 12") instead of a frozen page. Why catch ImageRejected here: a refused file must become a
visible message with its name and reason, and the rest of the batch must still go through.
"""

from __future__ import annotations

from collections.abc import Iterator

import mesop as me

from gallery import samples
from gallery.model import ImageStore, StoreUnavailable
from gallery.processing import ImageRejected, process_image

SAMPLES_PER_CLICK = 12


def _start(store: ImageStore) -> None:
    status = store.status()
    status.notices = []
    status.error = ""


def add_samples(store: ImageStore, event: me.ClickEvent) -> Iterator[None]:
    _start(store)
    status = store.status()
    count = min(SAMPLES_PER_CLICK, len(samples.SAMPLE_FILES))
    try:
        for index in range(count):
            status.progress = f"Adding sample {index + 1} of {count}…"
            yield
            store.add(samples.load_sample(index))
    except ImageRejected as refused:  # a store's own limit, e.g. /memory's per-gallery cap
        status.notices.append(f"Refused {refused.name}: {refused.reason}")
    except StoreUnavailable as failure:
        status.error = str(failure)
    status.progress = ""
    yield


def upload(store: ImageStore, event: me.UploadEvent) -> Iterator[None]:
    _start(store)
    status = store.status()
    files = event.files
    for index, file in enumerate(files, start=1):
        status.progress = f"Processing {index} of {len(files)}: {file.name}"
        yield
        try:
            store.add(process_image(file.name or "unnamed file", file.getvalue()))
        except ImageRejected as refused:
            status.notices.append(f"Refused {refused.name}: {refused.reason}")
        except StoreUnavailable as failure:
            status.error = str(failure)
            break
    status.progress = ""
    yield


def select(store: ImageStore, event: me.ClickEvent) -> None:
    store.status().selected = event.key
    store.status().error = ""


def clear(store: ImageStore, event: me.ClickEvent) -> None:
    _start(store)
    try:
        store.clear()
    except StoreUnavailable as failure:
        store.status().error = str(failure)
        return
    store.status().selected = ""
