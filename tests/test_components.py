"""How many components a click renders, and what makes each one dearer: regression guards.

Mesop builds every component of the page on every render, and renders twice per click (before
the handler, to find it, and after), so the number of components is what a select costs the
server beyond Mesop's floor and the app's state (docs/performance.md, "The cost of a click,
decomposed": tens of µs per component per render on the benchmark machine, more for one that
carries kilobytes).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from mesop.protos import ui_pb2 as pb

from app.patterns import PATTERNS
from bench.protocol import Clickable, Reply, Session, rendered_components, walk
from tests.harness import serve

# A /gcs select at 48 images renders 35 components: the frame's 11 (the navigation, title,
# meter, explanation, key code and recorded figures in their panels, footer, root), the gallery's
# 24 (its toolbar, status, grid, 4 chunks of 12 thumbnails, viewer). 40 leaves room for a small
# feature; the navigation as Mesop buttons (20 components) or one component per thumbnail (48)
# would not fit.
MOST_COMPONENTS = 40


def test_a_gcs_select_renders_a_bounded_number_of_components(tmp_path: Path) -> None:
    env = {"GCS_EMULATOR_DATA_DIR": str(tmp_path / "gcs")}
    with serve("gunicorn", env=env, log_dir=tmp_path) as server:
        at_12 = rendered_components(server.url, "/gcs", additions=1)
        at_48 = rendered_components(server.url, "/gcs", additions=4)
    assert at_48 <= MOST_COMPONENTS, f"a /gcs select renders {at_48} components"
    assert at_48 - at_12 == 3  # one web component per 12 thumbnails, none per thumbnail


def _dataclasses_in(cls: type) -> list[type]:
    nested = [f.type for f in dataclasses.fields(cls) if dataclasses.is_dataclass(f.type)]
    return [cls, *(c for n in nested for c in _dataclasses_in(n))]


def test_state_classes_have_real_annotations() -> None:
    """Mesop reads every state class's type hints (and its nested dataclasses') on every
    request: string annotations (`from __future__ import annotations`) are evaluated each time,
    52-84 µs per class instead of 5-11 µs."""
    for pattern in PATTERNS:
        for cls in _dataclasses_in(pattern.state):
            strings = [name for name, t in vars(cls)["__annotations__"].items()
                       if isinstance(t, str)]  # fmt: skip
            assert not strings, f"{cls.__qualname__}: string annotations {strings}"


def test_the_navigation_bar_ignores_what_no_link_sends(tmp_path: Path) -> None:
    """The bar's web event comes from the browser: a list, a number or another site's address
    instead of one of the pages' paths is ignored, never an error; a page's path navigates."""
    env = {"GCS_EMULATOR_DATA_DIR": str(tmp_path / "gcs")}
    with serve("gunicorn", env=env, log_dir=tmp_path) as server:
        session = Session(server.url, "/gcs")
        session.init()
        (nav,) = [c for c in walk(session.root) if c.type.name.fn_name == "<web>page-nav"]
        handler = json.loads(pb.WebComponentType.FromString(nav.type.value).events_json)
        for value in ([], {"url": []}, {"url": 5}, {"url": "https://example.com"}, "x"):
            payload = json.dumps(value if isinstance(value, dict) else {"url": value})
            reply = session.click(Clickable(handler["navigateEvent"], nav.key.key, "", payload))
            assert navigations(reply) == [], value
        reply = session.click(Clickable(handler["navigateEvent"], nav.key.key, "",
                                        json.dumps({"url": "/database"})))  # fmt: skip
        session.close()
    assert navigations(reply) == ["/database"]


def navigations(reply: Reply) -> list[str]:
    """The addresses the reply tells the browser to go to (me.navigate's command)."""
    return [command.navigate.url for m in reply.messages if m.HasField("render")
            for command in m.render.commands if command.HasField("navigate")]  # fmt: skip
