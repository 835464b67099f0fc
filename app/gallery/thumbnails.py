"""Python side of the thumbnail grid: the web components of thumbnails.js, placed by gallery.view.

Why web components rather than a Mesop box and image per thumbnail: Mesop's cost per component
(argument validation, style conversion, diffing) is paid for every thumbnail on every render, and
a select click renders twice. Sent as data, 48 thumbnails cost the server little more than one.
thumbnails.js says how the grid stays cheap on the wire too: chunks for the data, the selection
apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import mesop as me

from app.gallery.model import Card

# skip_validation (below): Mesop checks a component's arguments with pydantic on every call, and
# these are rendered on every click; their arguments are the store's own cards.
CHUNK = 12  # thumbnails per chunk: one "Add sample images" batch


@me.web_component(path="./thumbnails.js", skip_validation=True)
def thumbnail_chunk(index: int, thumbnails: list[dict[str, str]]) -> None:
    """Up to CHUNK thumbnails' data ({key, name, src}); the grid draws them."""
    me.insert_web_component(
        name="thumbnail-chunk",
        key=f"thumbnails-{index}",
        properties={"index": index, "thumbnails": thumbnails},
    )


@me.web_component(path="./thumbnails.js", skip_validation=True)
def thumbnail_grid(selected: str, on_select: Callable[[me.WebEvent], Any]) -> None:
    """Every chunk's thumbnails, with `selected` outlined. A click sends {"key": ...}."""
    me.insert_web_component(
        name="thumbnail-grid",
        key="thumbnail-grid",
        properties={"selected": selected},
        events={"selectEvent": on_select},
    )


def thumbnails(
    cards: Sequence[Card], selected: str, on_select: Callable[[me.WebEvent], Any]
) -> None:
    """The grid, then its data in chunks (the grid is drawn even when empty: see view._grid)."""
    thumbnail_grid(selected, on_select)
    for start in range(0, len(cards), CHUNK):
        chunk = cards[start : start + CHUNK]
        thumbnail_chunk(
            start // CHUNK, [{"key": c.key, "name": c.name, "src": c.thumb_src} for c in chunk]
        )
