"""Event handlers shared by every gallery page, bound to a page's store with functools.partial.

Why generators: Mesop re-renders at each `yield`, so a long batch shows its progress ("Processing 3
of 12") instead of a frozen page. Why catch ImageRejected here: a refused file must become a
visible message with its name and reason, and the rest of the batch must still go through.
"""

from __future__ import annotations

from collections.abc import Iterator

import mesop as me

from gallery import samples
from gallery.model import ImageStore
from gallery.processing import ImageRejected, process_image

SAMPLES_PER_CLICK = 12


def add_samples(store: ImageStore, event: me.ClickEvent) -> Iterator[None]:
    status = store.status()
    status.notices = []
    count = min(SAMPLES_PER_CLICK, len(samples.SAMPLE_FILES))
    for index in range(count):
        status.progress = f"Adding sample {index + 1} of {count}…"
        yield
        store.add(samples.load_sample(index))
    status.progress = ""
    yield


def upload(store: ImageStore, event: me.UploadEvent) -> Iterator[None]:
    status = store.status()
    status.notices = []
    files = event.files
    for index, file in enumerate(files, start=1):
        status.progress = f"Processing {index} of {len(files)}: {file.name}"
        yield
        try:
            image = process_image(file.name or "unnamed file", file.getvalue())
        except ImageRejected as refused:
            status.notices.append(f"Refused {refused.name}: {refused.reason}")
            continue
        store.add(image)
    status.progress = ""
    yield


def select(store: ImageStore, event: me.ClickEvent) -> None:
    store.status().selected = event.key


def clear(store: ImageStore, event: me.ClickEvent) -> None:
    store.clear()
    status = store.status()
    status.selected = ""
    status.notices = []
