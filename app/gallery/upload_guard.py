"""Python side of upload_guard.js: the browser's check of chosen files, placed by gallery.view.

Why in the browser: Mesop's uploader sends the chosen files in one request, so a file the server
would refuse was uploaded whole first. The limits come from the server's settings; the server
checks everything again.
"""

from __future__ import annotations

import mesop as me

STATE_ROOM = 1024 * 1024  # room left in a request for the page's state, on most pages


def batch_bytes(max_request_bytes: int) -> int:
    """What the files of one upload may weigh together: a request carries them base64-encoded
    (4 bytes per 3), with the page's state. On /base64 the state may take up to three quarters of
    the request (state_store.py): a batch that passes here can still be too much there, and the
    server then says so."""
    return max_request_bytes * 3 // 4 - min(STATE_ROOM, max_request_bytes // 4)


# skip_validation: Mesop would check the arguments with pydantic on every render (every click).
@me.web_component(path="./upload_guard.js", skip_validation=True)
def upload_guard(max_file_bytes: int, max_batch_bytes: int) -> None:
    me.insert_web_component(
        name="upload-guard",
        key="upload-guard",
        properties={"maxFileBytes": max_file_bytes, "maxBatchBytes": max_batch_bytes},
    )
