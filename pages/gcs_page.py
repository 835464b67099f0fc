"""/gcs: the gallery with its images in a Cloud Storage bucket, served by signed URLs."""

from __future__ import annotations

import mesop as me

from app import layout
from app.gallery import direct_upload
from app.gallery.model import StoreUnavailable
from app.gallery.view import gallery
from app.gcs import bucket
from app.gcs.signing import UrlSigner
from app.patterns import pattern
from app.stores.gcs_store import GcsGalleryState, GcsStore

PATTERN = pattern("/gcs")
STORE = PATTERN.store()

EXPLANATION = """
Each image is uploaded to a bucket once; the state keeps only the gallery's id and a change token,
a few dozen bytes, so **a click costs the same with 1 image or 48**. The page gives the browser
short-lived **V4 signed URLs** and the browser fetches the images from the bucket directly: image
bytes never pass through Mesop, and since each URL is cached and reused until it nears expiry, the
browser's own HTTP cache serves an image it has already shown.

**Durable**: the bucket is the source of truth. The gallery's id is in the address bar
(`?gallery=…`), so reloading, restarting the server, or landing on another replica shows the same
gallery. Anyone with the link can see it: the id is 128 random bits, unguessable but shareable.

**Uploads go from the browser straight to the bucket**, not through Mesop: Mesop's uploader
would send each file inside a `/__ui__` request (a 12 MP photo: a 7 MB request; Cloud Run
refuses any over 32 MiB). Here the browser asks for one **signed PUT URL per file** (a web event
carrying names and sizes), sends each file to the bucket itself, with progress, then names the
objects that arrived; the server reads each once, processes it like any upload, stores the
results and deletes the original. The signature binds the object's name, its content type and
its size range: the browser can upload what the server agreed to, nothing else. The meter's
"to storage" row counts those bytes.

**On Cloud Run** set `GCS_BUCKET`. The runtime's credentials hold no private key, so URLs are
signed through the IAM signBlob API as the service's own account (grant it
`roles/iam.serviceAccountTokenCreator` on itself, and `roles/storage.objectUser` on the bucket),
and give the bucket a CORS rule for the page's origin (docs/deploy.md).
Locally, with nothing set, the app runs an embedded GCS emulator and signs with a throwaway key
made at start-up.
"""

TITLE = "Images in Cloud Storage, served by signed URLs"
CODE = (
    GcsGalleryState,
    GcsStore.add,
    GcsStore.cards,
    UrlSigner.urls,
    UrlSigner._sign,
    GcsStore.upload_targets,
    UrlSigner.upload_url,
    direct_upload.uploads_arrived,
)


def on_load(event: me.LoadEvent) -> None:
    STORE.restore()


def where_it_lives() -> None:
    gallery_id = me.state(GcsGalleryState).gallery_id
    try:
        where = bucket.get().where
    except StoreUnavailable:
        return  # the gallery view says what is wrong
    layout.where_it_lives(
        f"{where}, under galleries/{gallery_id}/" if gallery_id else where, gallery_id
    )


@me.page(
    path=PATTERN.path,
    title=layout.tab_title(PATTERN.label),
    on_load=on_load,
    security_policy=layout.security_policy(),
)
def gcs_page() -> None:
    with layout.pattern_page(PATTERN.path, TITLE, EXPLANATION, CODE):
        where_it_lives()
        gallery(STORE, direct_uploads=True)
