"""Galleries held in this server process: bounded, expiring, thread-safe.

Why bounded and expiring: memory held for a browser tab is memory no one frees when the tab is
closed. Each gallery expires after an idle TTL; the total is capped, and the least recently used
galleries are evicted to stay under it; one gallery cannot exceed its own cap. Why thread-safe:
gunicorn's threaded workers run several requests of one process at once.

What this cannot do, by design, and says so: a gallery lives in ONE process. Another gunicorn
worker, another replica, or the same server after a restart does not have it. `lookup` tells those
cases apart from expiry and eviction (it remembers recently dropped ids), so the page can explain.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from app import config
from app.units import human_bytes


@dataclass(frozen=True)
class HeldImage:
    key: str
    name: str
    thumb_url: str  # data URLs, made once at upload: rendering them costs nothing more
    display_url: str
    width: int
    height: int
    size_bytes: int  # the display JPEG's size, as the viewer shows it

    @property
    def held_bytes(self) -> int:
        return len(self.thumb_url) + len(self.display_url)


@dataclass
class Gallery:
    images: list[HeldImage] = field(default_factory=list)
    last_used: float = 0.0

    @property
    def held_bytes(self) -> int:
        return sum(image.held_bytes for image in self.images)


class GalleryGone(LookupError):
    """The gallery is not in this process; `str()` says why, for the page."""


class GalleryFull(ValueError):
    """Adding the image would pass the per-gallery cap; `str()` says so, for the page."""


class GalleryMemory:
    def __init__(
        self,
        max_bytes: int,
        max_gallery_bytes: int,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_gallery_bytes = min(max_gallery_bytes, max_bytes)
        self.ttl = ttl_seconds
        self.clock = clock
        self._galleries: OrderedDict[str, Gallery] = OrderedDict()  # least recently used first
        self._dropped: OrderedDict[str, str] = OrderedDict()  # recently dropped id -> why
        self._held = 0
        self._lock = threading.Lock()

    @property
    def idle_limit(self) -> str:
        """The TTL for people: '10 minutes', '30 seconds'."""
        return f"{self.ttl / 60:.0f} minutes" if self.ttl >= 120 else f"{self.ttl:.0f} seconds"

    # --- reading -------------------------------------------------------------------------
    def lookup(self, gallery_id: str) -> tuple[HeldImage, ...]:
        """The gallery's images (a snapshot), marked as used now; GalleryGone with the reason
        when it is not here."""
        with self._lock:
            self._expire()
            gallery = self._galleries.get(gallery_id)
            if gallery is None:
                raise GalleryGone(self._why_gone(gallery_id))
            gallery.last_used = self.clock()
            self._galleries.move_to_end(gallery_id)
            return tuple(gallery.images)

    def stats(self) -> tuple[int, int]:
        """(galleries held, bytes held)."""
        with self._lock:
            self._expire()
            return len(self._galleries), self._held

    # --- writing -------------------------------------------------------------------------
    def add(self, gallery_id: str, image: HeldImage, new: bool = False) -> None:
        """Add to a gallery held here, or start one (`new`). An id this process does not hold
        is not silently revived with a partial gallery (the rest may be in another worker):
        GalleryGone, saying why."""
        with self._lock:
            self._expire()
            gallery = self._galleries.get(gallery_id)
            if gallery is None:
                if not new:
                    raise GalleryGone(self._why_gone(gallery_id))
                gallery = self._galleries[gallery_id] = Gallery()
                self._dropped.pop(gallery_id, None)
            if gallery.held_bytes + image.held_bytes > self.max_gallery_bytes:
                raise GalleryFull(
                    f"this gallery holds {human_bytes(gallery.held_bytes)} of server memory; "
                    f"the limit per gallery is {human_bytes(self.max_gallery_bytes)}"
                )
            gallery.images.append(image)
            gallery.last_used = self.clock()
            self._galleries.move_to_end(gallery_id)
            self._held += image.held_bytes
            self._evict_beyond_cap(keep=gallery_id)

    def clear(self, gallery_id: str) -> None:
        with self._lock:
            gallery = self._galleries.pop(gallery_id, None)
            if gallery is not None:
                self._held -= gallery.held_bytes

    # --- bookkeeping (lock held) ---------------------------------------------------------
    def _drop(self, gallery_id: str, why: str) -> None:
        gallery = self._galleries.pop(gallery_id)
        self._held -= gallery.held_bytes
        self._dropped[gallery_id] = why
        while len(self._dropped) > 10_000:
            self._dropped.popitem(last=False)

    def _expire(self) -> None:
        deadline = self.clock() - self.ttl
        while self._galleries:
            oldest_id, oldest = next(iter(self._galleries.items()))
            if oldest.last_used > deadline:
                break
            self._drop(oldest_id, "expired")

    def _evict_beyond_cap(self, keep: str) -> None:
        for gallery_id in list(self._galleries):
            if self._held <= self.max_bytes:
                break
            if gallery_id != keep:
                self._drop(gallery_id, "evicted")

    def _why_gone(self, gallery_id: str) -> str:
        why = self._dropped.get(gallery_id)
        if why == "expired":
            return (
                f"This gallery was dropped from server memory after {self.idle_limit} "
                "without use: server-memory state must expire, or abandoned tabs would fill the "
                "server. Add images to start a new gallery."
            )
        if why == "evicted":
            return (
                "This gallery was evicted from server memory to make room for others (this "
                f"process holds at most {human_bytes(self.max_bytes)} of galleries, least "
                "recently used first out). Add images to start a new gallery."
            )
        return (
            f"This gallery is not in this server process (pid {os.getpid()}). It lived in another "
            "one: either the server restarted, or another worker or replica answered this click. "
            "Server-memory state needs session affinity and one worker process per instance, and "
            "it does not survive restarts."
        )


_memory: GalleryMemory | None = None
_memory_lock = threading.Lock()


def memory() -> GalleryMemory:
    """This process's gallery memory, sized from the settings on first use."""
    global _memory
    with _memory_lock:
        if _memory is None:
            s = config.load()
            _memory = GalleryMemory(
                s.memory_max_bytes, s.memory_max_gallery_bytes, s.memory_ttl_seconds
            )
        return _memory
