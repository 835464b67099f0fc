"""/database: the gallery with its images in a SQL database, served by a route of the app."""

from __future__ import annotations

import mesop as me

from app import layout
from app.database import engine as db
from app.database import media
from app.gallery.view import gallery
from app.patterns import pattern
from app.stores.database_store import DatabaseGalleryState, DatabaseStore

PATTERN = pattern("/database")
STORE = PATTERN.store()

EXPLANATION = """
Each image is stored once in a SQL database (one row per distinct JPEG, one row per gallery
item); the state keeps only the gallery's id and a change token, so **a click costs the same with
1 image or 48**. The page names each image by a URL of the app's own route,
`/media/<gallery>/<sha256>.jpg`, which reads it from the database and lets the browser
**cache it for a year** (the name is the content hash). Image bytes never pass through Mesop's
`/__ui__`.

**Against /gcs**: the same light clicks and the same durability (any worker, any replica, a
restart), with one dependency fewer if your app already has a database (Cloud SQL), and no URL
signing. The price is that every image byte passes through your app server on its first view:
the server's CPU and the instance's bandwidth, where /gcs hands that to the bucket. Cloud SQL also
costs while idle, a bucket does not.

**Against /memory**: images are served by URL rather than as data URLs inside Mesop's replies, so
a select downloads the image once, and never again; and nothing is lost when the process goes.

Locally the database is SQLite in one file (`.db-data/`), in WAL mode so that several workers can
share it; set `DATABASE_URL=postgresql+psycopg://…` for PostgreSQL or Cloud SQL.
"""

TITLE = "Images in a database, served by the app"
CODE = (DatabaseGalleryState, DatabaseStore.add, DatabaseStore.cards, media.serve)


def on_load(event: me.LoadEvent) -> None:
    STORE.restore()


def where_it_lives() -> None:
    try:
        database = db.get()
    except db.DatabaseUnavailable:
        return  # the gallery view says what is wrong
    caveat = (
        ""
        if database.shared
        else "this instance's own file, which another instance does not see and a new one starts "
        "without. Set DATABASE_URL to Cloud SQL (docs/deploy.md) to keep them."
    )
    layout.where_it_lives(database.where, me.state(DatabaseGalleryState).gallery_id, caveat)


@me.page(
    path=PATTERN.path,
    title=layout.tab_title(PATTERN.label),
    on_load=on_load,
    security_policy=layout.security_policy(),
)
def database_page() -> None:
    with layout.pattern_page(PATTERN.path, TITLE, EXPLANATION, CODE):
        where_it_lives()
        gallery(STORE)
