"""/memory until its pattern lands: say what it will show, link to the working pages."""

from __future__ import annotations

import mesop as me

import layout


def coming(path: str, title: str, summary: str) -> None:
    with layout.frame(title=title, path=path):
        me.markdown(summary, style=me.Style(max_width=900))
        me.markdown(
            "This pattern is not built yet. [The base64 page](/base64) shows the baseline "
            "it improves on.",
            style=me.Style(color="#555"),
        )


@me.page(path="/memory", title="Server memory · Mesop performance patterns")
def memory_page() -> None:
    coming(
        "/memory",
        "State kept in server memory",
        "The images stay in the server process, keyed by a small id that is the only gallery data "
        "in Mesop state: clicks carry a few hundred bytes instead of the whole gallery.",
    )
