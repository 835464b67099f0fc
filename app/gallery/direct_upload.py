"""Uploads from the browser straight to storage: the server signs, the browser talks to the bucket.

Why: Mesop's uploader sends each file inside a /__ui__ request, base64 inside base64, so a 12 MP
photo costs the server a 7 MB request, and Cloud Run refuses any request over 32 MiB. Here the
files never cross Mesop; /__ui__ carries only their names, sizes and object names:

1. <direct-upload> (direct_upload.js) checks each chosen file's size and type in the browser, then
   asks for upload URLs with a web event: request_uploads checks the list again (count, sizes,
   types, the gallery's room, the visitor's share) and has the store sign one URL per file for an
   object name the server makes. The URLs go back as a property of the component, for this reply
   only (reply(), kept in flask.g): not in state, which would carry them up with every click.
2. The browser PUTs each file to its URL (several at a time, with progress; a failed connection
   or a 5xx is tried again for about 3 s, a stall of STALL_SECONDS is given up) and reports each
   object's outcome with a second event.
3. uploads_arrived reads each object that arrived, processes it as every upload is processed
   (processing.py: validation, decoding under the memory budget), stores the results and deletes
   every object of the batch, whatever became of it.

Nothing about a batch is kept on the server between the two events: an object name carries its
gallery, and one that does not fullmatch this gallery's pattern is ignored, so any worker or
replica can answer either event. The client is assumed hostile: everything it sends is bounded
and checked, and nothing is keyed by a value it made up.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import Any, cast

import flask
import mesop as me

from app.config import settings
from app.gallery import actions, fairness
from app.gallery.model import DirectUploadStore, StoreUnavailable
from app.gallery.processing import ACCEPTED_HINT, clean_name
from app.handlers import bound
from app.units import human_bytes

# Types the browser may declare and we sign; "" (the browser does not know) is signed as
# octet-stream: the content decides, as for every upload.
ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "")
UNKNOWN_TYPE = "application/octet-stream"
TYPE_REASONS = {
    "image/svg+xml": f"SVG (vector) images are not supported; {ACCEPTED_HINT}",
    "application/pdf": f"PDF documents are not images; {ACCEPTED_HINT}",
}
PARALLEL = 3  # uploads in flight at once, per browser tab
STALL_SECONDS = 10  # an upload that moves no byte (or gets no answer) this long is given up
BATCH = re.compile(r"[A-Za-z0-9]{8,32}")  # the component's batch id: echoed, never a key
MAX_CLIENT_CHARS = 1000  # a name or a type as the browser sends it, before clean_name
_REPLY = "direct_upload_reply"


def type_reason(content_type: str) -> str:
    """Why a declared type is refused ("" if it is accepted): the same words as the server's
    own refusal of such content (processing.py)."""
    if content_type in ACCEPTED_TYPES:
        return ""
    return TYPE_REASONS.get(
        content_type, f"{content_type} files are not supported; {ACCEPTED_HINT}"
    )


def _text(value: object) -> str:
    return value[:MAX_CLIENT_CHARS] if isinstance(value, str) else ""


def _files(value: object) -> tuple[str, list[dict[str, Any]], int]:
    """The event's batch id, its first files (dicts only) and how many it named in all."""
    if not isinstance(value, dict) or not isinstance(value.get("batch"), str):
        return "", [], 0
    batch = value["batch"] if BATCH.fullmatch(value["batch"]) else ""
    files = value.get("files")
    if not batch or not isinstance(files, list):
        return "", [], 0
    most = settings.max_files_per_upload
    return batch, [f if isinstance(f, dict) else {} for f in files[:most]], len(files)


def _refusal(size: object, kind: object) -> str:
    """Why a file the browser describes is refused before it is sent ("" if it is not): what
    the component checked already, checked again."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return "the browser did not say how large the file is"
    if size == 0:
        return "the file is empty"
    if size > settings.max_upload_bytes:
        limit = human_bytes(settings.max_upload_bytes)
        return f"the file is {human_bytes(size)}; the limit is {limit}"
    if not isinstance(kind, str):
        return "the browser did not say what type the file is"
    return type_reason(kind[:100])  # a MIME type is short; this one is shown in the message


def _reply(value: dict[str, Any]) -> None:
    setattr(flask.g, _REPLY, value)


def reply() -> dict[str, Any]:
    """What the server answers the component in this reply only (empty in every other)."""
    return getattr(flask.g, _REPLY, {}) if flask.has_request_context() else {}


def _beyond(names: list[str], count: int) -> list[str]:
    """Names for refused_files: those known, then blanks up to `count` (only counted)."""
    return names + [""] * (count - len(names))


def request_uploads(store: DirectUploadStore, event: me.WebEvent) -> None:
    """The component asks where to upload the chosen files: {"batch", "files": [{name, size,
    type}]}. Answers with {"batch", "uploads": [{file, object, url, headers}]}; a file without
    an upload is refused, and the message box says why."""
    if not actions._in_sync(store):
        return
    batch, files, count = _files(event.value)
    if not batch:
        return  # not sent by the component: nothing to answer
    actions._start(store)
    status = store.status()
    most = settings.max_files_per_upload
    if count > most:
        beyond = f"at most {most} files are taken per upload. Upload these in another batch."
        rest = event.value["files"][most : most + actions.NAMES_LISTED]
        names = [clean_name(_text(f.get("name") if isinstance(f, dict) else "")) for f in rest]
        status.note(actions.refused_files(_beyond(names, count - most), beyond))
    wanted: list[tuple[int, str, int]] = []  # (file index, content type to sign, size)
    try:
        room = actions._room(store)
        who = fairness.visitor()
        for index, file in enumerate(files):
            name, size, kind = (
                clean_name(_text(file.get("name"))),
                file.get("size"),
                file.get("type"),
            )
            if reason := _refusal(size, kind):
                status.note(f"Refused {name}: {reason}")
                continue
            rest = [clean_name(_text(f.get("name"))) for f in files[index:]]
            if room <= 0:
                status.note(actions.refused_files(rest, actions._gallery_full()))
                break
            if refused := fairness.shares.take(who):
                status.note(actions.refused_files(rest, refused))
                break
            room -= 1
            wanted.append((index, cast(str, kind) or UNKNOWN_TYPE, cast(int, size)))
        targets = store.upload_targets([(kind, size) for _, kind, size in wanted])
    except StoreUnavailable as failure:
        status.error = str(failure)
        targets = []
        wanted = []
    uploads = [
        {"file": index, "object": t.object, "url": t.url, "headers": t.headers}
        for (index, _, _), t in zip(wanted, targets, strict=True)
    ]
    _reply({"batch": batch, "uploads": uploads})


# What the browser says became of an upload, and what the page then says.
RESULT = re.compile(r"ok|interrupted|timeout|http [1-5][0-9][0-9]")


def failed_because(result: str) -> str:
    """The page's words for how an upload ended in the browser (after its retries)."""
    if result == "timeout":
        return (
            f"Cloud Storage did not answer the upload for {STALL_SECONDS} s (it may be "
            "unreachable). Try it again in a moment."
        )
    if result == "http 403":
        return (
            "Cloud Storage refused the upload: its signed URL has expired or does not match "
            "the file. Try it again."
        )
    if result.startswith("http 5"):
        return f"Cloud Storage is unreachable ({result.upper()}). Try it again in a moment."
    if result.startswith("http "):
        return f"Cloud Storage refused the upload ({result.upper()})."
    return (
        "the upload was cut off: the connection to Cloud Storage failed before it confirmed "
        "the file (Cloud Storage is unreachable, or the network dropped). Try it again."
    )


def uploads_arrived(store: DirectUploadStore, event: me.WebEvent) -> Iterator[None]:
    """The component says what became of each upload: {"batch", "files": [{object, name,
    result}]}. Each object that arrived is read, processed and stored; every object of the
    batch is deleted; the message box names each file refused and why. The reply ends with
    {"batch", "done": true}, which frees the component."""
    if not actions._in_sync(store):
        yield  # the reload reaches the browser only with a render: see actions._in_sync
        return
    batch, files, _ = _files(event.value)
    if not batch:
        yield
        return
    status = store.status()
    reports = []  # (object, name, result), objects of this gallery only
    for file in files:
        name = store.upload_object(file.get("object"))
        result = _text(file.get("result"))
        if name:
            reports.append((name, clean_name(_text(file.get("name"))), result))
    who = fairness.visitor()
    stored_fine = True
    try:
        room = actions._room(store)
    except StoreUnavailable as failure:
        status.error, stored_fine = str(failure), False
    for index, (name, shown, result) in enumerate(reports, start=1):
        if not RESULT.fullmatch(result) or result != "ok":
            status.note(f"Refused {shown}: {failed_because(result)}")
            continue
        if not stored_fine:
            status.note(f"Refused {shown}: it could not be stored (above).")
            continue
        if room <= 0:
            status.note(actions.refused_files([shown], actions._gallery_full()))
            continue
        status.progress = f"Processing {index} of {len(reports)}: {shown}"
        yield
        try:
            room -= actions.keep(store, who, shown, store.uploaded(name, settings.max_upload_bytes))
        except StoreUnavailable as failure:
            status.error, stored_fine = str(failure), False
    status.progress = ""
    _reply({"batch": batch, "done": True})
    yield
    # After the page has its answer: the originals go, processed or not (what storage cannot
    # delete now is tried again at the next cleanup, and the bucket's lifecycle rule is the last
    # resort).
    with contextlib.suppress(StoreUnavailable):
        store.discard_uploads(
            [name for name, _, result in reports if result == "ok"],
            unsettled=[name for name, _, result in reports if result != "ok"],
        )


def uploader(store: DirectUploadStore, disabled: bool) -> None:
    """The "Upload images" control, bound to the store's direct uploads."""
    direct_uploader(bound(request_uploads, store), bound(uploads_arrived, store), disabled=disabled)


# skip_validation: Mesop would check the arguments with pydantic on every render (every click).
@me.web_component(path="./direct_upload.js", skip_validation=True)
def direct_uploader(
    on_request: Callable[[me.WebEvent], Any],
    on_arrived: Callable[[me.WebEvent], Any],
    disabled: bool,
) -> None:
    """The button, the file input, and the uploads themselves (direct_upload.js)."""
    me.insert_web_component(
        name="direct-upload",
        key="direct-upload",
        properties={
            "disabled": disabled,
            "maxFileBytes": settings.max_upload_bytes,
            "maxFiles": settings.max_files_per_upload,
            "types": list(ACCEPTED_TYPES),
            "typeReasons": TYPE_REASONS,
            "hint": ACCEPTED_HINT,
            "parallel": PARALLEL,
            "stallSeconds": STALL_SECONDS,
            "reply": reply(),
        },
        events={"requestEvent": on_request, "arrivedEvent": on_arrived},
    )


# skip_validation: Mesop would check the arguments with pydantic on every render (every click).
@me.web_component(path="./direct_upload.js", skip_validation=True)
def direct_upload_status() -> None:
    """Each file of the current batch: refused in the browser, its progress, how it ended."""
    me.insert_web_component(name="direct-upload-status", key="direct-upload-status")
