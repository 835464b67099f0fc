"""Python side of side_by_side.js: the /compare page's frames, buttons and live table."""

from __future__ import annotations

import mesop as me


@me.web_component(path="./side_by_side.js")
def side_by_side(pages: list[dict[str, str]]) -> None:
    """pages: [{"path", "label", "color"}], a frame each, in this order."""
    me.insert_web_component(name="side-by-side", key="side-by-side", properties={"pages": pages})
