"""A gallery's id in the page's address (`?gallery=…`), for patterns whose galleries outlive state.

Why the address: a reload resets Mesop state, but not the URL. Keeping the id there (and in
state, for navigation inside the app) lets a server-side gallery be found again after a reload, and
makes it bookmarkable. The id is 128 random bits: unguessable, but anyone with the link sees it.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from typing import Protocol

import mesop as me

from app.gallery.model import GalleryStatus, StoreUnavailable

PARAM = "gallery"
GALLERY_ID = re.compile(r"[A-Za-z0-9_-]{22}")
VERSION = re.compile(r"[0-9a-f]{8}")  # what new_version makes


def checked(gallery_id: str) -> str:
    """The id if it is well formed, else "": state comes from the browser and can be edited (to
    any JSON value, not only a string), and the id becomes part of object names and URLs."""
    return gallery_id if isinstance(gallery_id, str) and GALLERY_ID.fullmatch(gallery_id) else ""


def checked_version(version: str) -> str:
    """The state's change token if it is one the server could have made, else "": a server-side
    cache keyed by it must not hold whatever a client sends (a 30 MB string, forty times)."""
    return version if isinstance(version, str) and VERSION.fullmatch(version) else ""


def new_version() -> str:
    """A fresh change token: a gallery changed, or a page was loaded afresh."""
    return secrets.token_hex(4)


def new_item_key() -> str:
    """A gallery item's key: the time it was added (so keys sort in order), then a random tail
    (so two adds in the same nanosecond, from two processes, never collide)."""
    return f"{time.time_ns():020d}-{secrets.token_hex(3)}"


def random_id() -> str:
    """128 bits from the OS's CSPRNG, URL-safe base64 (22 characters): unguessable."""
    return secrets.token_urlsafe(16)


def new_id() -> str:
    gallery_id = random_id()
    me.query_params[PARAM] = gallery_id
    return gallery_id


def restore(current: str, status: GalleryStatus) -> str:
    """On page load: the address's id if valid, else the state's; written back to the address."""
    from_url = me.query_params.get(PARAM, "")
    if from_url and not GALLERY_ID.fullmatch(from_url):
        status.notice = "That gallery link is not valid; this is a new gallery."
        del me.query_params[PARAM]
        from_url = ""
    gallery_id = from_url or checked(current)  # the state's comes from the browser too
    if gallery_id:
        me.query_params[PARAM] = gallery_id
    return gallery_id


class ServerGalleryState(Protocol):
    """The state of a pattern whose gallery lives on a server (/gcs, /database)."""

    gallery_id: str
    version: str
    status: GalleryStatus


def reopen(state: ServerGalleryState, check: Callable[[], None]) -> None:
    """On page load: take the gallery id from the address, or put the state's id back into it,
    with a fresh change token (a fresh visit reads the gallery once). With no gallery to read,
    `check` asks the store whether it answers at all, so that an outage is said now, not at the
    first add."""
    state.gallery_id = restore(state.gallery_id, state.status)
    state.version = new_version()
    state.status.error = ""
    if not state.gallery_id:
        try:
            check()
        except StoreUnavailable as failure:
            state.status.error = str(failure)
