"""The frame: each gallery page without its gallery, the floor's counter in its place.

Served like the app (`gunicorn bench.frame_app:app`), it is the app itself (its middlewares, its
state classes, every page) plus the counter's state class and these pages:

- `/frame`: the counter alone, inside the app: Mesop's floor plus what the app adds to every
  click before any component (its state classes, decoded, diffed and encoded on every request,
  and its middlewares);
- `/frame/<pattern>` (`/frame/gcs`): the counter inside that pattern's page frame, rendered by
  app/layout.py's `pattern_page` with the page's own title, explanation and key code (navigation,
  title, meter, explanation, recorded figures, footer): the page without its gallery.

So a select on the real page costs the frame plus the pattern: bench/payload.py's "in-app" and
"frame" variants, and the report's decomposition of a click. It renders the pages' own frame
code, so it follows any change to it.
"""

from __future__ import annotations

# First: app.main sets up the app's modules (it re-imports those that hot reload replaces), so
# everything below must be imported after it, and gets the same modules the app's pages use.
from app.main import guarded, state_classes

# isort: split
import importlib
from collections.abc import Callable

import mesop as me

from app import layout
from app.patterns import PATTERNS, Pattern
from bench.counter import FRAME, Counter, counter


def frame_page(pattern: Pattern) -> Callable[[], None]:
    page = importlib.import_module(pattern.page)  # its TITLE, EXPLANATION and CODE

    def render() -> None:
        with layout.pattern_page(pattern.path, page.TITLE, page.EXPLANATION, page.CODE):
            counter()

    render.__name__ = f"frame_{pattern.path.strip('/')}"
    return render


@me.page(path=FRAME, title="Counter, in the app")
def in_app() -> None:
    counter()


for _pattern in PATTERNS:
    me.page(path=FRAME + _pattern.path, title=f"Frame of {_pattern.path}")(frame_page(_pattern))


# The app's middlewares, timing included, with the counter's state class allowed beside the
# app's own (app/state_shape.py refuses a state the app does not make).
app = guarded(me.create_wsgi_app(), lambda: [*state_classes(), Counter])
