"""The gallery as the user sees it, identical on every pattern's page.

It knows nothing of where bytes live: it renders the `Card`s and the `Shown` image a store returns,
and binds the shared actions to that store. A page is therefore "its store + this view + its
explanation", and diffing two pages shows only what differs between the patterns.
"""

from __future__ import annotations

from typing import cast

import mesop as me

from app.config import settings
from app.gallery import actions, direct_upload
from app.gallery.model import DirectUploadStore, ImageStore, StoreUnavailable
from app.gallery.thumbnails import thumbnails
from app.gallery.upload_guard import batch_bytes, upload_guard
from app.handlers import bound
from app.units import human_bytes


def gallery(store: ImageStore, direct_uploads: bool = False) -> None:
    """direct_uploads: the browser uploads to the store itself (app/gallery/direct_upload.py; the
    store is then a DirectUploadStore), instead of through Mesop's uploader."""
    status = store.status()
    try:
        cards = store.cards()
        shown = store.shown(status.selected) if status.selected else None
        total = store.total_bytes()
        unavailable = ""
    except StoreUnavailable as failure:  # render what we can, say why the rest is missing
        cards, shown, total, unavailable = [], None, 0, str(failure)
    busy = bool(status.progress)

    with me.box(style=me.Style(display="flex", flex_wrap="wrap", gap=12, align_items="center")):
        me.button(
            "Add sample images",
            type="flat",
            color="primary",
            disabled=busy,
            on_click=bound(actions.add_samples, store),
        )
        if direct_uploads:
            direct_upload.uploader(cast(DirectUploadStore, store), disabled=busy)
        else:
            me.uploader(
                label="Upload images",
                accepted_file_types=["image/*"],
                multiple=True,
                type="stroked",
                disabled=busy,
                on_upload=bound(actions.upload, store),
            )
        me.button(
            "Clear gallery",
            type="stroked",
            disabled=busy or not cards,
            on_click=bound(actions.clear, store),
        )
        me.text(
            f"{len(cards)} images · {human_bytes(total)} of display images",
            style=me.Style(color="#555"),
        )

    # Files the browser keeps back (over a limit) are named here before anything is sent; with
    # direct uploads, each file's progress too.
    if direct_uploads:
        direct_upload.direct_upload_status()
    else:
        upload_guard(settings.max_upload_bytes, batch_bytes(settings.max_request_bytes))

    # The progress and message boxes are always there, empty or not. Mesop diffs a render
    # against the previous one child by child, by position: a box that appeared above the grid
    # would shift it down one place, and Mesop would send the whole grid again as new (and again
    # when the box went away): every thumbnail twice per "Add sample images".
    with me.box(style=me.Style(margin=me.Margin.symmetric(vertical=12 if busy else 0))):
        if busy:
            me.progress_bar(mode="indeterminate")
            me.text(status.progress, style=me.Style(font_size=14, margin=me.Margin(top=6)))

    _messages([status.error or unavailable, *status.notice.splitlines()])

    with me.box(
        style=me.Style(
            display="grid",
            grid_template_columns="minmax(0, 3fr) minmax(0, 2fr)",
            gap=24,
            margin=me.Margin(top=16),
        )
    ):
        # While a batch runs, the grid holds still: the new thumbnails appear together when it
        # ends. Mesop re-sends a whole chunk of thumbnails when one is added to it, so drawing
        # each as it came would send the growing chunk again at every step (for /memory, whose
        # thumbnails are data URLs, over half a megabyte more per 12 images).
        _grid(store, cards[: status.held] if busy else cards, status.selected, busy)
        _viewer(shown)


_MESSAGES = me.Style(
    background="#fdecea",
    color="#8a1c12",
    border_radius=8,
    padding=me.Padding.all(12),
    margin=me.Margin.symmetric(vertical=12),
)


def _messages(lines: list[str]) -> None:
    lines = [line for line in lines if line]
    with me.box(style=_MESSAGES if lines else None):  # there even when empty: see gallery()
        for line in lines:
            me.text(line)


def _grid(store: ImageStore, cards: list, selected: str, busy: bool) -> None:
    with me.box():
        # Drawn even when empty: Mesop finds a click's handler among those registered by the
        # render just before it, in the same request. If the grid vanished in that render (the
        # gallery expired, storage went down), a thumbnail click would find no handler and be
        # dropped without a word; with the grid always there, actions.select runs, finds the
        # browser out of date and reloads the page (actions._in_sync).
        thumbnails(cards, selected, on_select=bound(actions.select, store))
        if not cards and not busy:  # after the grid, so that it moves nothing when it goes
            me.text(
                "The gallery is empty. Add the sample images or upload your own.",
                style=me.Style(color="#555"),
            )


def _viewer(shown) -> None:
    with me.box(style=me.Style(position="sticky", top=16, align_self="start")):
        if shown is None:
            me.text("Select a thumbnail to see it here.", style=me.Style(color="#555"))
            return
        me.image(
            src=shown.src,
            alt=f"Selected: {shown.name}",
            style=me.Style(width="100%", border_radius=8, display="block"),
        )
        me.text(shown.name, style=me.Style(font_weight="bold", margin=me.Margin(top=8)))
        me.text(
            f"{shown.width} × {shown.height} px · {human_bytes(shown.size_bytes)}",
            style=me.Style(color="#555"),
        )
