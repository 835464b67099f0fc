"""The state shape check: what the app's own pages send passes; what only a hostile client sends
is refused, naming the field, before Mesop spends anything on it (app/state_shape.py)."""

from __future__ import annotations

import dataclasses
import importlib
import json
import time

import pytest
from mesop.dataclass_utils.dataclass_utils import serialize_dataclass
from mesop.runtime import runtime

from app.config import settings
from app.gallery.model import NOTICE_CHARS, GalleryStatus
from app.patterns import PATTERNS
from app.state_shape import Misshapen, Shapes, bound
from app.stores.state_store import Base64GalleryState, StateImage
from bench.protocol import ProtocolError, Session
from tests.harness import Server

CLASSES = [p.state for p in PATTERNS]
SHAPES = Shapes(CLASSES)


def full_base64_state() -> Base64GalleryState:
    image = StateImage(key="k" * 22, name="n.jpg", thumb_url="data:image/jpeg;base64,AAAA")
    status = GalleryStatus(selected="k" * 22, notice="x" * NOTICE_CHARS, held=3)
    return Base64GalleryState(images=[image] * settings.max_gallery_images, status=status)


def test_the_check_covers_every_state_class_mesop_knows() -> None:
    """Mesop pairs states with the classes it registered: the check must know all of them."""
    for module in ("pages.home", *(p.page for p in PATTERNS)):
        importlib.import_module(module)
    assert set(runtime()._state_classes) == set(CLASSES)


def test_states_the_app_makes_pass_even_at_its_limits() -> None:
    states = [serialize_dataclass(cls()) for cls in CLASSES]
    states[CLASSES.index(Base64GalleryState)] = serialize_dataclass(full_base64_state())
    SHAPES.check(states)


def base64_state(**changes: object) -> str:
    state = json.loads(serialize_dataclass(Base64GalleryState()))
    for path, value in changes.items():
        target = state
        *parents, last = path.split("__")
        for name in parents:
            target = target[name]
        target[last] = value
    return json.dumps(state)


@pytest.mark.parametrize(
    ("state", "named"),
    [
        (base64_state(images=[{"key": "k"}] * 10_000), "images has 10,000 items; at most 100"),
        (base64_state(status__notice="x" * (NOTICE_CHARS + 1)), "status.notice has 16,001"),
        (base64_state(status__notices=["x"] * 10_000), "status has a field it does not declare"),
        (base64_state(status__selected=["x"]), "status.selected is not a string"),
        (base64_state(status__held="3"), "status.held is not a int"),
        (base64_state(status__held=True), "status.held is not a int"),
        (base64_state(images=[{"width": 1.5}]), "images[0].width is not a int"),
        (base64_state(images=[{"name": "x" * 2_001}]), "images[0].name has 2,001 characters"),
        (json.dumps({"gallery_id": "x" * 2_001}), "gallery_id has 2,001 characters"),
        (json.dumps({"surprise": 1}), "match none of the app's state classes"),
        (json.dumps([1, 2]), "a state is not an object"),
        ("[" * 100_000, "not JSON, or is nested too deep"),
    ],
)
def test_a_state_the_app_never_makes_is_refused_naming_the_field(state: str, named: str) -> None:
    with pytest.raises(Misshapen, match=named.replace("[", r"\[").replace("]", r"\]")):
        SHAPES.check([state])


def test_more_states_than_classes_are_refused() -> None:
    with pytest.raises(Misshapen, match="5 states; the app has 4"):
        SHAPES.check(["{}"] * 5)


def test_a_list_in_state_without_a_bound_is_an_error_at_start_up() -> None:
    @dataclasses.dataclass
    class Unbounded:
        tags: list[str] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass
    class Bounded:
        tags: list[str] = dataclasses.field(default_factory=list, metadata=bound(items=3))

    with pytest.raises(TypeError, match=r"Unbounded.tags: a list in state needs bound"):
        Shapes([Unbounded])
    Shapes([Bounded]).check(['{"tags": ["a", "b", "c"]}'])


def test_the_server_refuses_a_costly_state_in_milliseconds_and_goes_on(app_server: Server) -> None:
    """Under gunicorn: 10,000 items in /base64's image list (140 KB) would cost Mesop seconds of
    CPU to parse and diff; it is refused before Mesop sees it, and the tab's next click works."""
    session = Session(app_server.url, "/base64")
    try:
        session.init()
        index = next(i for i, s in enumerate(session.states) if '"images"' in s)
        honest = session.states[index]
        session.states[index] = base64_state(images=[{"key": "k"}] * 10_000)
        started = time.perf_counter()
        with pytest.raises(ProtocolError, match="images has 10,000 items; at most 100"):
            session.refresh_tree()
        seconds = time.perf_counter() - started
        print(f"\n10,000-item state refused in {seconds * 1000:.0f} ms")
        assert seconds < 1.0
        session.states[index] = honest
        (add,) = session.find("Add sample images")
        session.click(add)
        assert len(json.loads(session.states[index])["images"]) == 12
    finally:
        session.close()
