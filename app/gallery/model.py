"""What the shared view needs from a store, and nothing about where the bytes live.

A store hands the view `Card`s (thumbnails) and a `Shown` (the selected display image) whose `src`
is whatever the browser should load: a data URL, a signed URL, a URL of the app's own route.
That one string is where the patterns differ; everything else on a gallery page is the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from app.errors import StoreUnavailable  # defined outside the hot-reloaded packages: see errors.py
from app.gallery.processing import ProcessedImage


@dataclass
class GalleryStatus:
    """UI state every gallery page has, kept small: it rides along on every request."""

    selected: str = ""
    progress: str = ""
    notices: list[str] = field(default_factory=list)  # refused uploads, one line each
    error: str = ""  # the store failed (storage down): what happened and what to do
    held: int = 0  # while a batch adds images, the grid shows the first `held` (actions._room)


__all__ = ["Card", "GalleryStatus", "ImageStore", "Shown", "StoreUnavailable"]


@dataclass(frozen=True)
class Card:
    key: str
    name: str
    thumb_src: str


@dataclass(frozen=True)
class Shown:
    key: str
    name: str
    src: str
    width: int
    height: int
    size_bytes: int


class ImageStore(Protocol):
    """Where a pattern keeps its images. Stores are frozen dataclasses so that Mesop can bind them
    to event handlers with functools.partial (Mesop needs a stable repr to make a handler id).
    Each store stands alone in one file of app/stores/: what two share lives in app/gallery/."""

    def status(self) -> GalleryStatus: ...

    def restore(self) -> None:
        """On page load (the page's on_load): find the gallery again, if it outlives state."""
        ...

    def add(self, image: ProcessedImage) -> str: ...

    def cards(self) -> list[Card]: ...

    def shown(self, key: str) -> Shown | None: ...

    def total_bytes(self) -> int: ...

    def clear(self) -> None: ...
