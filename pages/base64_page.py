"""/base64: the gallery with every image inside Mesop state, as base64 data URLs."""

from __future__ import annotations

import mesop as me

from app import layout
from app.gallery.data_urls import as_data_urls
from app.gallery.view import gallery
from app.patterns import pattern
from app.stores.state_store import Base64GalleryState, StateStore

PATTERN = pattern("/base64")
STORE = PATTERN.store()

EXPLANATION = """
Each image is encoded as a `data:image/jpeg;base64,…` URL and appended to a list in an
`@me.stateclass`. That is the simplest thing that works, and it costs the most: **Mesop keeps state
in the browser and sends all of it to the server with every click**, so selecting a thumbnail
uploads every photo in the gallery again (base64 adds a third to each image's size). The server
answers with the changed state. And since every `@me.stateclass` rides along on every request,
this page's weight is also carried by clicks on the other pages once you have visited it.
"""

TITLE = "Images as base64 in state"
CODE = (Base64GalleryState, as_data_urls, StateStore.add, StateStore.shown)


@me.page(
    path=PATTERN.path,
    title=layout.tab_title(PATTERN.label),
    security_policy=layout.security_policy(),
)
def base64_page() -> None:
    with layout.pattern_page(PATTERN.path, TITLE, EXPLANATION, CODE):
        gallery(STORE)
