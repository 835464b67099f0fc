"""The /base64 pattern: images live in Mesop state as base64 data URLs.

This is what most Mesop apps do first, and it works, but the browser holds the state and sends all
of it to the server on every click: with 12 photos that is about 4.9 MB up per click, and because
every @me.stateclass rides along on every request, the other pages pay it too.
"""

from dataclasses import dataclass, field

import mesop as me

from app.config import settings
from app.gallery.data_urls import as_data_urls
from app.gallery.model import Card, GalleryStatus, Shown
from app.gallery.processing import ImageRejected, ProcessedImage
from app.state_shape import bound
from app.units import human_bytes

# Every click sends the state base64-encoded once more: 4 bytes on the wire per 3 of data URL.
WIRE_PER_STATE_BYTE = 4 / 3


@dataclass
class StateImage:
    key: str = ""
    name: str = ""
    # A data URL: as long as a request may be (the state's other bounds: app/state_shape.py).
    thumb_url: str = field(default="", metadata=bound(chars=settings.max_request_bytes))
    display_url: str = field(default="", metadata=bound(chars=settings.max_request_bytes))
    width: int = 0
    height: int = 0
    size_bytes: int = 0


# No `from __future__ import annotations` in this module: Mesop 1.3.7 reads a state class's
# type hints on every request (typing.get_type_hints), and string annotations are evaluated
# anew each time (docs/performance.md, "The cost of a click, decomposed").
@me.stateclass
class Base64GalleryState:
    images: list[StateImage] = field(
        default_factory=list, metadata=bound(items=settings.max_gallery_images)
    )
    status: GalleryStatus


@dataclass(frozen=True)
class StateStore:
    """Everything in state: simple, stateless servers, and the heaviest possible clicks."""

    def status(self) -> GalleryStatus:
        return me.state(Base64GalleryState).status

    def restore(self) -> None:
        """Nothing to find again: the gallery is the state, and a reload empties both."""

    def add(self, image: ProcessedImage) -> str:
        """Refuse an image that would make every click bigger than the server accepts: three
        quarters of GALLERY_MAX_REQUEST_BYTES, the rest kept for an upload's files. Without this
        cap a gallery could grow until every click, Clear included, is turned away."""
        images = me.state(Base64GalleryState).images
        record = StateImage(**as_data_urls(image))
        held = sum(len(i.thumb_url) + len(i.display_url) for i in [*images, record])
        per_click, budget = held * WIRE_PER_STATE_BYTE, settings.max_request_bytes * 3 // 4
        if per_click > budget:
            raise ImageRejected(
                image.name,
                f"with it every click would send {human_bytes(per_click)} of images; this page "
                f"stays under {human_bytes(budget)} so that clicks fit the server's request limit. "
                "Remove images, or keep them outside state (the other pages).",
            )
        images.append(record)
        return record.key

    def cards(self) -> list[Card]:
        images = me.state(Base64GalleryState).images
        return [Card(key=i.key, name=i.name, thumb_src=i.thumb_url) for i in images]

    def shown(self, key: str) -> Shown | None:
        for i in me.state(Base64GalleryState).images:
            if i.key == key:
                return Shown(i.key, i.name, i.display_url, i.width, i.height, i.size_bytes)
        return None

    def total_bytes(self) -> int:
        return sum(i.size_bytes for i in me.state(Base64GalleryState).images)

    def clear(self) -> None:
        me.state(Base64GalleryState).images.clear()
