"""Images as `data:` URLs: how /base64 keeps them in state and /memory in server memory.

Shared so that the two pages hold byte-for-byte the same strings, and differ only in where.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from app.gallery.processing import ProcessedImage


def data_url(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def as_data_urls(image: ProcessedImage) -> dict[str, Any]:
    """An image's two JPEGs as data URLs, plus what the viewer shows, under a new key."""
    return {
        "key": uuid.uuid4().hex[:12],
        "name": image.name,
        "thumb_url": data_url(image.thumb_jpeg),
        "display_url": data_url(image.display_jpeg),
        "width": image.width,
        "height": image.height,
        "size_bytes": image.size_bytes,
    }
