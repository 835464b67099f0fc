"""CPU time Mesop spends building one thumbnail of the grid, in-process, four ways.

Why: it sets a floor on what a select click costs per thumbnail, whatever the app does around it.
Mesop renders the page twice per click, so a click pays this twice for every thumbnail. Three ways
build a clickable me.box around an me.image per thumbnail (how the grid was built, and what
sharing handlers and styles, or dropping styles, leaves); the fourth is the grid as it is now,
web components carrying the thumbnails as data (app/gallery/thumbnails.py). The components are
built inside a plain Flask request context, as Mesop's server does, but with no server: nothing
here is timed but the component calls. Prints microseconds; asserts nothing.

    .venv/bin/python -m bench.thumbnail_cost
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import flask
import mesop as me

from app.gallery import actions
from app.gallery.model import Card
from app.gallery.thumbnails import thumbnails
from app.stores.gcs_store import GcsStore

URL = "https://storage.googleapis.com/bucket/samples/" + "x" * 700  # a signed URL's length
SHARED_BOX = me.Style(cursor="pointer", outline="3px solid transparent", border_radius=6)
SHARED_IMAGE = me.Style(width="100%", aspect_ratio="3 / 2", object_fit="cover", display="block")
ONE_HANDLER = partial(actions.select, GcsStore())


def fresh_everything(i: int) -> None:  # the grid before: new handler and styles per thumbnail
    box = me.Style(cursor="pointer", outline="3px solid transparent", border_radius=6)
    with me.box(key=str(i), on_click=partial(actions.select, GcsStore()), style=box):
        image = me.Style(width="100%", aspect_ratio="3 / 2", object_fit="cover", display="block")
        me.image(src=f"{URL}{i}", alt=f"Thumbnail: {i}", style=image)


def shared_handler_and_styles(i: int) -> None:  # the grid now
    with me.box(key=str(i), on_click=ONE_HANDLER, style=SHARED_BOX):
        me.image(src=f"{URL}{i}", alt=f"Thumbnail: {i}", style=SHARED_IMAGE)


def no_styles(i: int) -> None:  # what CSS classes instead of inline styles would leave
    with me.box(key=str(i), on_click=ONE_HANDLER):
        me.image(src=f"{URL}{i}", alt=f"Thumbnail: {i}")


CARDS = [Card(str(i), f"photo-{i}.jpg", f"{URL}{i}") for i in range(48)]


def web_components(i: int) -> None:  # the grid now: app/gallery/thumbnails.py, a chunk per 12
    if i == 0:
        thumbnails(CARDS, "", ONE_HANDLER)


def per_thumbnail_us(build: Callable[[int], None], rounds: int = 30, size: int = 48) -> float:
    best = float("inf")
    for _ in range(rounds):
        with flask.Flask(__name__).test_request_context(), me.box():  # a parent, like the grid
            started = time.thread_time()
            for i in range(size):
                build(i)
            best = min(best, time.thread_time() - started)
    return best / size * 1e6


def main() -> None:
    for build in (fresh_everything, shared_handler_and_styles, no_styles, web_components):
        print(f"{build.__name__:28} {per_thumbnail_us(build):6.1f} µs CPU per thumbnail per render")


if __name__ == "__main__":
    main()
