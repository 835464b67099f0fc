"""The floor: the smallest Mesop app that does something on a click (a counter).

Every figure of the gallery patterns is compared with this page's, served the same way
(`gunicorn bench.counter_app:app`), so a ratio says what a pattern adds to Mesop's own cost of a
click: one tiny state, one handler, one changed text.
"""

import mesop as me

from app import timing
from bench.counter import counter


@me.page(path="/", title="Counter")
def counter_page() -> None:
    counter()


app = me.create_wsgi_app()

# Timed like the gallery app when GALLERY_TIMING_LOG is set (the payload benchmark's floor).
timed_app = timing.wrap(app)
