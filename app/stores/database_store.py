"""The /database pattern: images in a SQL database; the app serves them by URL, with cache headers.

State holds only the gallery's id and a change token, as on /gcs, so clicks stay small however many
images the gallery holds. Image bytes never pass through Mesop either: the page names each image
by a URL of the app's own media route (app/database/media.py), which reads it from the database
and lets the browser cache it for a year (the name is the content hash). The database is the
source of truth, so a gallery survives reloads, restarts and any worker or replica.

Tables (app/database/schema.py):
    gallery_blobs   sha256, jpeg, size_bytes                    one row per distinct JPEG
    gallery_items   gallery_id, key, position, name, display,   one row per gallery item; display
                    thumb, width, height, size_bytes            and thumb name blobs
"""

import hashlib
import time
from dataclasses import dataclass

import flask
import mesop as me
from sqlalchemy import Engine, delete, exc, func, select

from app.config import settings
from app.database import engine as db
from app.database import space
from app.database.media import media_url
from app.database.schema import blobs, items
from app.gallery import link
from app.gallery.model import Card, GalleryStatus, Shown
from app.gallery.processing import ImageRejected, ProcessedImage
from app.units import human_bytes


# No `from __future__ import annotations` in this module: Mesop 1.3.7 reads a state class's
# type hints on every request (typing.get_type_hints), and string annotations are evaluated
# anew each time (docs/performance.md, "The cost of a click, decomposed").
@me.stateclass
class DatabaseGalleryState:
    gallery_id: str  # also in the URL (?gallery=...), so a reload or a restart finds it again
    version: str  # changes with every add or clear: the page's cue that the gallery changed
    status: GalleryStatus


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    display: str  # content hashes, never URLs: the route serves them by name
    thumb: str
    width: int
    height: int
    size_bytes: int


@dataclass(frozen=True)
class DatabaseStore:
    """Bytes in the database, an id in state, images by URL from the app."""

    def status(self) -> GalleryStatus:
        return me.state(DatabaseGalleryState).status

    def restore(self) -> None:
        link.reopen(me.state(DatabaseGalleryState), db.check)

    def add(self, image: ProcessedImage) -> str:
        state = me.state(DatabaseGalleryState)
        gallery_id = state.gallery_id = link.checked(state.gallery_id) or link.new_id()
        key = link.new_item_key()
        for attempt in (1, 2):  # a clear elsewhere may delete a shared blob meanwhile: once more
            try:
                with db.errors(f"storing {image.name}"):
                    self._insert(db.get().engine, gallery_id, key, image)
                break
            except db.DatabaseUnavailable as failure:
                if attempt == 2 or not isinstance(failure.__cause__, exc.IntegrityError):
                    raise
        state.version = link.new_version()
        return key

    def _insert(self, engine: Engine, gallery_id: str, key: str, image: ProcessedImage) -> None:
        """The caps (this gallery's, then the database's: app/database/space.py evicts in its
        own transactions), then one transaction for the blobs not yet stored and the item. (Two
        tabs adding to one gallery at once may each pass its cap by a batch, as on the other
        pages.)"""
        thumb = hashlib.sha256(image.thumb_jpeg).hexdigest()
        jpegs = {image.sha256: image.display_jpeg, thumb: image.thumb_jpeg}
        with engine.connect() as connection:
            held = connection.scalar(
                select(func.coalesce(func.sum(items.c.size_bytes), 0)).where(
                    items.c.gallery_id == gallery_id
                )
            )
            known = select(blobs.c.sha256).where(blobs.c.sha256.in_(list(jpegs)))
            stored = set(connection.scalars(known))
        if held + image.size_bytes > settings.database_max_gallery_bytes:
            raise ImageRejected(
                image.name,
                f"the gallery holds {human_bytes(held)}; with this image it would pass its "
                f"limit of {human_bytes(settings.database_max_gallery_bytes)}. Clear it to "
                "add others.",
            )
        new = {sha: jpeg for sha, jpeg in jpegs.items() if sha not in stored}  # samples: none
        if not space.make_room(engine, sum(map(len, new.values())), settings.database_max_bytes):
            raise ImageRejected(
                image.name, "the database is full of newer images; try again later."
            )
        with engine.begin() as connection:
            for sha, jpeg in new.items():
                db.insert_once(
                    connection, blobs, {"sha256": sha, "jpeg": jpeg, "size_bytes": len(jpeg)}
                )
            connection.execute(
                items.insert().values(
                    gallery_id=gallery_id,
                    key=key,
                    position=time.time_ns(),
                    name=image.name,
                    display=image.sha256,
                    thumb=thumb,
                    width=image.width,
                    height=image.height,
                    size_bytes=image.size_bytes,
                )
            )

    def _rows(self) -> list[Row]:
        # Asked for three times per click (the render before the handler, the handler's check,
        # the render after): read once per request and gallery version.
        state = me.state(DatabaseGalleryState)
        gallery_id = link.checked(state.gallery_id)
        if not gallery_id:
            return []
        read: dict[tuple[str, str], list[Row]] = flask.g.setdefault("database_rows", {})
        if (gallery_id, state.version) not in read:
            query = (
                select(
                    items.c.key,
                    items.c.name,
                    items.c.display,
                    items.c.thumb,
                    items.c.width,
                    items.c.height,
                    items.c.size_bytes,
                )
                .where(items.c.gallery_id == gallery_id)
                .order_by(items.c.position, items.c.key)
            )
            with db.errors("reading the gallery"), db.get().engine.connect() as connection:
                read[(gallery_id, state.version)] = [Row(*r) for r in connection.execute(query)]
        return read[(gallery_id, state.version)]

    def cards(self) -> list[Card]:
        gallery_id = me.state(DatabaseGalleryState).gallery_id
        return [Card(r.key, r.name, media_url(gallery_id, r.thumb)) for r in self._rows()]

    def shown(self, key: str) -> Shown | None:
        gallery_id = me.state(DatabaseGalleryState).gallery_id
        for r in self._rows():
            if r.key == key:
                url = media_url(gallery_id, r.display)
                return Shown(r.key, r.name, url, r.width, r.height, r.size_bytes)
        return None

    def total_bytes(self) -> int:
        return sum(r.size_bytes for r in self._rows())

    def clear(self) -> None:
        """The gallery's rows, then the blobs no gallery shows any more (samples are kept by
        the others that show them; a blob re-added meanwhile is protected by its foreign key)."""
        state = me.state(DatabaseGalleryState)
        gallery_id = link.checked(state.gallery_id)
        if not gallery_id:
            return
        with db.errors("clearing the gallery"), db.get().engine.begin() as connection:
            gone = connection.execute(
                delete(items)
                .where(items.c.gallery_id == gallery_id)
                .returning(items.c.display, items.c.thumb)
            )
            space.drop_unnamed(connection, {name for row in gone for name in row})
        state.version = link.new_version()
