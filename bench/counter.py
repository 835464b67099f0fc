"""The floor's button: the smallest thing in Mesop that does something on a click (a counter).

Shared by bench/counter_app.py (the button alone: Mesop's floor) and bench/frame_app.py (the same
button inside a gallery page's frame), so the two differ by the frame and nothing else.
"""

import mesop as me

# Where bench/frame_app.py serves its pages: the counter inside the app at FRAME, each pattern's
# frame at FRAME + its path (/frame/gcs). Here, so the benchmark can name them without importing
# the app.
FRAME = "/frame"


@me.stateclass
class Counter:
    clicks: int


def increment(event: me.ClickEvent) -> None:
    me.state(Counter).clicks += 1


def counter() -> None:
    """A button named "Count" and the text it changes ("Clicked N times")."""
    me.button("Count", type="flat", on_click=increment)
    me.text(f"Clicked {me.state(Counter).clicks} times")
