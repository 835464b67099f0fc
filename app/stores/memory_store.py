"""The /memory pattern: images live in this server process; state keeps only the gallery's id.

The same data URLs as /base64, rendered the same way, with one difference: they are held in
server memory (app/memory/galleries.py) instead of Mesop state, so they no longer travel up with
every click. The price: the gallery lives in one process. It needs session affinity when there
are several workers or replicas, it dies with the process, and its memory must be bounded.
"""

from dataclasses import dataclass

import mesop as me

from app.gallery import link
from app.gallery.data_urls import as_data_urls
from app.gallery.model import Card, GalleryStatus, Shown, StoreUnavailable
from app.gallery.processing import ImageRejected, ProcessedImage
from app.memory.galleries import GalleryFull, GalleryGone, HeldImage, memory


# No `from __future__ import annotations` in this module: Mesop 1.3.7 reads a state class's
# type hints on every request (typing.get_type_hints), and string annotations are evaluated
# anew each time (docs/performance.md, "The cost of a click, decomposed").
@me.stateclass
class MemoryGalleryState:
    gallery_id: str  # also in the URL (?gallery=...), so a reload finds the gallery again
    status: GalleryStatus


@dataclass(frozen=True)
class MemoryStore:
    """Bytes in server memory, an id in state: light clicks, sticky sessions."""

    def status(self) -> GalleryStatus:
        return me.state(MemoryGalleryState).status

    def restore(self) -> None:
        """On page load: find the gallery again, or say why it is gone and start empty (the
        address keeps its id, so a reload that reaches the right process still finds it)."""
        state = me.state(MemoryGalleryState)
        state.gallery_id = link.restore(state.gallery_id, state.status)
        if state.gallery_id:
            try:
                memory().lookup(state.gallery_id)
            except GalleryGone as gone:
                state.status.notice = str(gone)
                state.gallery_id = ""

    def add(self, image: ProcessedImage) -> str:
        state = me.state(MemoryGalleryState)
        held = HeldImage(**as_data_urls(image))
        state.gallery_id = link.checked(state.gallery_id)
        try:
            if not state.gallery_id:
                state.gallery_id = link.new_id()
                memory().add(state.gallery_id, held, new=True)
            else:
                try:
                    memory().add(state.gallery_id, held)
                except GalleryGone as gone:  # say so, and start afresh in this process
                    state.status.note(f"{gone} A new gallery was started.")
                    state.gallery_id = link.new_id()
                    memory().add(state.gallery_id, held, new=True)
        except GalleryFull as full:
            raise ImageRejected(image.name, str(full)) from None
        return held.key

    def _images(self) -> tuple[HeldImage, ...]:
        gallery_id = link.checked(me.state(MemoryGalleryState).gallery_id)
        if not gallery_id:
            return ()
        try:
            return memory().lookup(gallery_id)
        except GalleryGone as gone:
            raise StoreUnavailable(str(gone)) from None

    def cards(self) -> list[Card]:
        return [Card(key=i.key, name=i.name, thumb_src=i.thumb_url) for i in self._images()]

    def shown(self, key: str) -> Shown | None:
        for i in self._images():
            if i.key == key:
                return Shown(i.key, i.name, i.display_url, i.width, i.height, i.size_bytes)
        return None

    def total_bytes(self) -> int:
        return sum(i.size_bytes for i in self._images())

    def clear(self) -> None:
        memory().clear(me.state(MemoryGalleryState).gallery_id)
