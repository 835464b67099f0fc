"""The gallery as the user sees it, identical on every pattern's page.

It knows nothing of where bytes live: it renders the `Card`s and the `Shown` image a store returns,
and binds the shared actions to that store. A page is therefore "its store + this view + its
explanation", and diffing two pages shows only what differs between the patterns.
"""

from __future__ import annotations

from dataclasses import replace

import mesop as me

from gallery import actions
from gallery.model import ImageStore, StoreUnavailable
from gallery.processing import human_bytes
from handlers import bound

ACCENT = "#1a73e8"

# A thumbnail's styles, made once rather than once per thumbnail per render: Mesop only reads a
# Style (converting it to its wire form), so one instance can serve every thumbnail.
_THUMB = me.Style(
    cursor="pointer",
    outline="3px solid transparent",
    border_radius=6,
    overflow_x="hidden",
    overflow_y="hidden",
)
_THUMB_SELECTED = replace(_THUMB, outline=f"3px solid {ACCENT}")
_THUMB_IMAGE = me.Style(width="100%", aspect_ratio="3 / 2", object_fit="cover", display="block")


def gallery(store: ImageStore) -> None:
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

    if busy:
        with me.box(style=me.Style(margin=me.Margin.symmetric(vertical=12))):
            me.progress_bar(mode="indeterminate")
            me.text(status.progress, style=me.Style(font_size=14, margin=me.Margin(top=6)))

    _messages(store, [status.error or unavailable, *status.notices])

    with me.box(
        style=me.Style(
            display="grid",
            grid_template_columns="minmax(0, 3fr) minmax(0, 2fr)",
            gap=24,
            margin=me.Margin(top=16),
        )
    ):
        _grid(store, cards, status.selected)
        _viewer(shown)


def _messages(store: ImageStore, lines: list[str]) -> None:
    lines = [line for line in lines if line]
    if not lines:
        return
    # Mesop finds a click's handler among those registered by the render that precedes it, in
    # the same request. If the grid vanished in that render (the gallery expired, storage went
    # down), a thumbnail click would find no handler and be dropped without a word. Registering
    # the same handler here keeps the click alive, so actions.select runs, finds the browser out
    # of date and reloads the page (actions._in_sync).
    with me.box(
        on_click=bound(actions.select, store),
        style=me.Style(
            background="#fdecea",
            color="#8a1c12",
            border_radius=8,
            padding=me.Padding.all(12),
            margin=me.Margin.symmetric(vertical=12),
        ),
    ):
        for line in lines:
            me.text(line)


def _grid(store: ImageStore, cards: list, selected: str) -> None:
    with me.box(
        style=me.Style(
            display="grid",
            grid_template_columns="repeat(auto-fill, minmax(120px, 1fr))",
            gap=8,
            align_content="start",
        )
    ):
        if not cards:
            me.text(
                "The gallery is empty. Add the sample images or upload your own.",
                style=me.Style(color="#555"),
            )
        on_click = bound(actions.select, store)
        for card in cards:
            with me.box(
                key=card.key,
                on_click=on_click,
                style=_THUMB_SELECTED if card.key == selected else _THUMB,
            ):
                me.image(src=card.thumb_src, alt=f"Thumbnail: {card.name}", style=_THUMB_IMAGE)


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
