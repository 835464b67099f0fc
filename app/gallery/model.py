"""What the shared view needs from a store, and nothing about where the bytes live.

A store hands the view `Card`s (thumbnails) and a `Shown` (the selected display image) whose `src`
is whatever the browser should load: a data URL, a signed URL, a URL of the app's own route.
That one string is where the patterns differ; everything else on a gallery page is the same code.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from app.errors import StoreUnavailable  # defined outside the hot-reloaded packages: see errors.py
from app.gallery.processing import ProcessedImage
from app.state_shape import bound

NOTICE_CHARS = 16_000  # a batch's refusals: 20 files with a name and a reason each, and more


# No `from __future__ import annotations` in this module: Mesop 1.3.7 reads the type hints of
# every state class, and of this dataclass nested in them, on every request
# (typing.get_type_hints), and string annotations are evaluated anew each time
# (docs/performance.md, "The cost of a click, decomposed").
@dataclass
class GalleryStatus:
    """UI state every gallery page has, kept small: it rides along on every request."""

    selected: str = ""
    progress: str = ""
    # Refused uploads and the like, one line each. One string, not a list: a list in state is
    # what a hostile request can make costly for Mesop (app/state_shape.py).
    notice: str = field(default="", metadata=bound(chars=NOTICE_CHARS))
    error: str = ""  # the store failed (storage down): what happened and what to do
    held: int = 0  # while a batch adds images, the grid shows the first `held` (actions._room)

    def note(self, line: str) -> None:
        """Add a line to the notice, within the bound the server checks state against."""
        text = f"{self.notice}\n{line}" if self.notice else line
        if len(text) <= NOTICE_CHARS:
            self.notice = text


__all__ = [
    "Card",
    "DirectUploadStore",
    "GalleryStatus",
    "ImageStore",
    "Shown",
    "StoreUnavailable",
    "UploadTarget",
]


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


@dataclass(frozen=True)
class UploadTarget:
    """Where the browser sends one file itself: an object name the server made, the signed URL,
    and the headers the URL was signed with (the browser must send them as they are)."""

    object: str
    url: str
    headers: dict[str, str]


class DirectUploadStore(ImageStore, Protocol):
    """A store the browser uploads to directly (app/gallery/direct_upload.py), not through Mesop."""

    def upload_targets(self, files: Sequence[tuple[str, int]]) -> list[UploadTarget]:
        """One target per (content type, size) file, in order."""
        ...

    def upload_object(self, name: object) -> str:
        """`name` if it names one of this gallery's upload objects, else ""."""
        ...

    def uploaded(self, name: str, max_bytes: int) -> bytes | None:
        """The upload's bytes (at most max_bytes + 1), or None if it never arrived."""
        ...

    def discard_uploads(self, names: Sequence[str], unsettled: Sequence[str] = ()) -> None:
        """Delete the upload objects (processed or refused), and those the browser gave up on
        (`unsettled`: storage may still complete them, so they are deleted again later)."""
        ...
