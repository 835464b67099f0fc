"""Python side of the payload meter: two Mesop web components backed by meter.js.

Why a web component: the meter must measure the page's own traffic without adding to it. It runs
entirely in the browser, so it sends no request of its own and puts nothing in Mesop state; the
server only places it on the page (a few hundred bytes, once, when the page is rendered).

A drop-in: this folder imports nothing but Mesop. Copy it into your app's folder, then inside a
page: `from meter import payload_meter` and `payload_meter()`.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from pathlib import Path
from typing import Any

import mesop as me

PROFILES = Path(__file__).with_name("profiles.json")


@cache
def profiles() -> list[dict[str, Any]]:
    """The named networks the meter estimates a click's time on (profiles.json, with sources)."""
    return json.loads(PROFILES.read_text())["profiles"]


def state_classes() -> list[dict[str, Any]]:
    """The app's state classes in Mesop's order, the order of the states in each request, so the
    meter can name the heaviest field. Mesop has no public list of them: this reads its runtime's
    (and only reads it); without it, the meter says "state 1", "state 2"."""
    try:
        from mesop.runtime import runtime

        classes = list(runtime()._state_classes)
    except Exception:  # another Mesop version: names are a nicety, not a need
        return []
    return [
        {"name": cls.__name__, "fields": [f.name for f in dataclasses.fields(cls)]}
        for cls in classes
        if dataclasses.is_dataclass(cls)
    ]


# skip_validation: Mesop checks a component's arguments with pydantic on every render; the meter
# is rendered on every click of the page that shows it, and its one argument is a string.
@me.web_component(path="./meter.js", skip_validation=True)
def payload_meter(page: str = "") -> None:
    """The meter: last interaction, this visit, what the state weighs and what the last click
    would take on a few networks. page: the path its figures are kept under (default: the
    page's own path)."""
    me.insert_web_component(
        name="payload-meter",
        key="payload-meter",
        properties={"page": page, "states": state_classes(), "profiles": profiles()},
    )


@me.web_component(path="./meter.js")
def payload_comparison(pages: list[dict[str, str]]) -> None:
    """The overview's table of what each page's meter last measured in this browser.

    pages: [{"path": "/gcs", "label": "Cloud Storage", "color": "#129eaf"}, ...], in the order
    shown; a colour (optional) marks the page's row.
    """
    me.insert_web_component(name="payload-comparison", properties={"pages": pages})
