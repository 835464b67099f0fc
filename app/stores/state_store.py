"""The /base64 pattern: images live in Mesop state as base64 data URLs.

This is what most Mesop apps do first, and it works, but the browser holds the state and sends all
of it to the server on every click: with 12 photos that is about 3.6 MB up per click, and because
every @me.stateclass rides along on every request, the other pages pay it too.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

import mesop as me

from config import settings
from gallery.model import Card, GalleryStatus, Shown
from gallery.processing import ImageRejected, ProcessedImage, human_bytes

# Every click sends the state base64-encoded once more: 4 bytes on the wire per 3 of data URL.
WIRE_PER_STATE_BYTE = 4 / 3


def data_url(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def as_data_urls(image: ProcessedImage) -> dict[str, Any]:
    """An image as this page keeps it in state (and /memory in server memory): its two JPEGs as
    data URLs, plus what the viewer shows, under a new key."""
    return {
        "key": uuid.uuid4().hex[:12],
        "name": image.name,
        "thumb_url": data_url(image.thumb_jpeg),
        "display_url": data_url(image.display_jpeg),
        "width": image.width,
        "height": image.height,
        "size_bytes": image.size_bytes,
    }


@dataclass
class StateImage:
    key: str = ""
    name: str = ""
    thumb_url: str = ""
    display_url: str = ""
    width: int = 0
    height: int = 0
    size_bytes: int = 0


@me.stateclass
class Base64GalleryState:
    images: list[StateImage]
    status: GalleryStatus


@dataclass(frozen=True)
class StateStore:
    """Everything in state: simple, stateless servers, and the heaviest possible clicks."""

    def status(self) -> GalleryStatus:
        return me.state(Base64GalleryState).status

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
                "Remove images, or keep them on the server (the other two pages).",
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
