"""Python side of the payload meter: two Mesop web components backed by meter.js.

Why a web component: the meter must measure the page's own traffic without adding to it. It runs
entirely in the browser, so it sends no request of its own and puts nothing in Mesop state; the
server only places it on the page (a few dozen bytes, once, when the page is rendered).
"""

from __future__ import annotations

import mesop as me


@me.web_component(path="./meter.js")
def payload_meter(page: str) -> None:
    """The meter of one gallery page: last interaction, this visit, and the state it sends."""
    me.insert_web_component(name="payload-meter", key="payload-meter", properties={"page": page})


@me.web_component(path="./meter.js")
def payload_comparison(pages: list[dict[str, str]]) -> None:
    """The overview's table of what each page's meter last measured in this browser.

    pages: [{"path": "/gcs", "label": "Cloud Storage", "color": "#129eaf"}, ...], in the order
    shown; a colour (optional) marks the page's row.
    """
    me.insert_web_component(name="payload-comparison", properties={"pages": pages})
