"""The frame every page shares: navigation, title, and the "how it works" panel with real code.

Code excerpts are read from the running modules with `inspect.getsource`, so what a page shows as
"the key code" is the code that actually ran, never a copy that drifts.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import textwrap
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import mesop as me

from gallery.processing import human_bytes

PAGES = [
    ("/", "Overview"),
    ("/base64", "Base64 in state"),
    ("/memory", "Server memory"),
    ("/gcs", "Cloud Storage"),
]


def go(url: str, event: me.ClickEvent) -> None:
    """Navigate inside the app (not a full page load), so every page's state is kept: the
    /gcs gallery's id survives a visit to the overview, and /base64's state keeps riding along."""
    me.navigate(url)


@me.content_component
def frame(title: str, path: str) -> None:
    with me.box(
        style=me.Style(
            background="#202124",
            padding=me.Padding.symmetric(horizontal=24, vertical=12),
            display="flex",
            gap=20,
            align_items="center",
            flex_wrap="wrap",
        )
    ):
        me.text("Mesop performance patterns", style=me.Style(color="white", font_weight="bold"))
        for url, label in PAGES:
            current = url == path
            me.button(
                label,
                on_click=partial(go, url),
                style=me.Style(
                    color="white" if current else "#c6dafc",
                    text_decoration="underline" if current else "none",
                    font_weight="bold" if current else "normal",
                ),
            )
    with me.box(
        style=me.Style(
            max_width=1280,
            margin=me.Margin.symmetric(horizontal="auto"),
            padding=me.Padding.all(24),
        )
    ):
        me.text(title, type="headline-4", style=me.Style(margin=me.Margin(bottom=8)))
        me.slot()
        backend = os.environ.get("MESOP_STATE_SESSION_BACKEND") or "none"
        me.text(
            f"Mesop state session backend: {backend} · this page was served by process "
            f"{os.getpid()}",
            style=me.Style(color="#777", font_size=12, margin=me.Margin(top=24)),
        )


@functools.cache
def source_of(*objects: Callable[..., Any] | type) -> str:
    """Cached: reading source tokenizes files, and every click re-renders the page (a profile of
    a /gcs click showed 18% of its server time here before the cache)."""
    return "\n\n".join(textwrap.dedent(inspect.getsource(obj)).strip() for obj in objects)


BENCH_RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results" / "payload.json"


@functools.cache
def _bench_rows() -> tuple[dict[str, Any], ...]:
    try:
        return tuple(json.loads(BENCH_RESULTS.read_text())["rows"])
    except (OSError, ValueError, KeyError):
        return ()


def measured(path: str) -> None:
    """This pattern's recorded benchmark figures (bench/payload.py), so the page shows its cost."""
    rows = [
        r
        for r in _bench_rows()
        if r.get("path") == path and r.get("variant", "default") == "default"
    ]
    if not rows:
        return
    lines = [
        f"| {r['images']} | {human_bytes(r['select_up'])} | {human_bytes(r['select_down'])} | "
        f"{human_bytes(r['select_media'])} | {r['select_server_ms_median']} ms |"
        for r in rows
    ]
    me.markdown(
        "**Measured** (one select click, Chromium against gunicorn, `python -m bench.payload`):\n\n"
        "| images | up | down | image from storage | server time |\n"
        "| ---: | ---: | ---: | ---: | ---: |\n" + "\n".join(lines),
        style=me.Style(font_size=14, margin=me.Margin(bottom=16)),
    )


def explanation(markdown: str, *code: Callable[..., Any] | type) -> None:
    """The pattern in a few sentences, then its key code, folded so the gallery stays in view."""
    me.markdown(markdown, style=me.Style(max_width=900))
    if code:
        with me.expansion_panel(title="The key code"):
            me.code(source_of(*code), language="python")
    me.box(style=me.Style(height=16))
