"""/memory: the gallery with its images in server memory, keyed by an id kept in state."""

from __future__ import annotations

import os

import mesop as me

from app import layout
from app.gallery.view import gallery
from app.memory.galleries import GalleryMemory, memory
from app.patterns import pattern
from app.stores.memory_store import MemoryGalleryState, MemoryStore
from app.units import human_bytes

PATTERN = pattern("/memory")
STORE = PATTERN.store()

EXPLANATION = """
The same data URLs as on the base64 page, rendered the same way, but **held in the server
process** (a bounded, expiring dictionary) instead of in Mesop state. The state keeps only the
gallery's id, so **a click uploads a few hundred bytes whatever the gallery holds**, and the server
sends an image's data URL down only when a component shows it for the first time.

**The price.** The gallery lives in *one* process:
- several Cloud Run instances need **session affinity**, and each instance must run **one** worker
  process (affinity picks an instance, never a process inside it), or a click that lands on
  another process finds no gallery (this page then says so; the footer names the process);
- it **dies with the process** (a restart, a deploy, a scale-down);
- its memory must be **bounded**: galleries expire after an idle time and the least recently used
  are evicted when the process holds too much.

Mesop's own `MESOP_STATE_SESSION_BACKEND=memory` does something similar for the whole app (all
pages, all state), and still sends state *down*; this page does it for its heavy data only.
"""

TITLE = "State kept in server memory"
CODE = (MemoryGalleryState, MemoryStore.add, MemoryStore._images, GalleryMemory.lookup)


def on_load(event: me.LoadEvent) -> None:
    STORE.restore()


def memory_figures(held: GalleryMemory) -> None:
    galleries, held_bytes = held.stats()
    me.text(
        f"Process {os.getpid()} holds {galleries} galleries, "
        f"{human_bytes(held_bytes)} of {human_bytes(held.max_bytes)} "
        f"(at most {human_bytes(held.max_gallery_bytes)} per gallery; idle galleries expire "
        f"after {held.idle_limit}).",
        style=me.Style(color="#555", font_size=14, margin=me.Margin(bottom=8)),
    )


@me.page(
    path=PATTERN.path,
    title=layout.tab_title(PATTERN.label),
    on_load=on_load,
    security_policy=layout.security_policy(),
)
def memory_page() -> None:
    with layout.pattern_page(PATTERN.path, TITLE, EXPLANATION, CODE):
        memory_figures(memory())
        gallery(STORE)
