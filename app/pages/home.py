"""/: what the three patterns are, and where to see each."""

from __future__ import annotations

from functools import partial

import mesop as me

import layout

INTRO = """
Mesop keeps your app's state **in the browser** and sends it to the server with every click.
That is what makes Mesop servers simple, and it is why a large state (a gallery of photos, say)
makes every click slow. This app builds the same image gallery three ways, so you can see, and
measure, what each way of holding large data costs.
"""

PATTERNS = [
    (
        "/base64",
        "Base64 in state",
        "Images as data URLs inside an `@me.stateclass`. Simplest to write; the whole gallery "
        "goes up with every click.",
        "The whole state, up on every click",
    ),
    (
        "/memory",
        "Server memory",
        "Images stay in the server process; state holds only a small id. Light clicks, but it "
        "needs session affinity and dies with the process.",
        "A few hundred bytes",
    ),
    (
        "/gcs",
        "Cloud Storage + signed URLs",
        "Images live in a bucket; the browser fetches them directly by signed URL. Light clicks, "
        "durable, any replica can answer.",
        "A few hundred bytes; images bypass Mesop",
    ),
]


@me.page(path="/", title="Mesop performance patterns")
def home_page() -> None:
    with layout.frame(title="One gallery, three ways to hold its images", path="/"):
        me.markdown(INTRO, style=me.Style(max_width=900))
        with me.box(
            style=me.Style(
                display="grid",
                grid_template_columns="repeat(auto-fit, minmax(260px, 1fr))",
                gap=16,
                margin=me.Margin(top=16),
            )
        ):
            for path, title, summary, per_click in PATTERNS:
                with me.box(
                    style=me.Style(
                        border=me.Border.all(
                            me.BorderSide(width=1, style="solid", color="#dadce0")
                        ),
                        border_radius=12,
                        padding=me.Padding.all(16),
                    )
                ):
                    me.button(
                        title,
                        on_click=partial(layout.go, path),
                        type="flat",
                        color="primary",
                    )
                    me.markdown(summary)
                    me.text(f"Per click: {per_click}", style=me.Style(color="#555", font_size=14))
