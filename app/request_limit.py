"""A cap on the size of a Mesop request, checked before its body is read.

Why: Mesop reads each `/__ui__` request whole (`request.data`), then base64-decodes and parses it,
so a 1 GB request costs a worker gigabytes of memory before any of the app's code runs, and Mesop
sets no limit. Flask's MAX_CONTENT_LENGTH would refuse it, but Mesop creates its Flask app out of
sight (`me.create_wsgi_app()` returns a plain WSGI function) and, worse, Mesop's browser client
ignores a non-200 answer: the page would wait forever. So this wraps the WSGI app: a request whose
declared length is over the limit never reaches Mesop. Its body is read and thrown away in small
chunks (memory stays flat), because a server that answers before the body is in makes the
browser see a reset connection instead of the answer; then it is answered in Mesop's own protocol
(a server-sent event carrying a `ServerError`), which the client shows in its error dialog.
Everything else goes to Mesop untouched.

Mesop's client always sends a Content-Length; a POST without one (chunked) is refused with 411,
since its size could only be learned by reading it. Mesop's other POST endpoints (`/__csp__`,
where browsers report policy violations, and `/__apply-cookies`) carry a few hundred bytes, need
no Origin header for the first, and read their whole body too: they get a small cap of their own,
OTHER_POST_BYTES, answered with a plain 413.

This guards gunicorn (`app.main:app`) and any other WSGI server. `mesop app/main.py` (the
development server) builds its own Flask app and is not guarded; neither is Mesop's optional
WebSocket transport (MESOP_WEBSOCKETS_ENABLED).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from typing import Any

from mesop.protos import ui_pb2

from app.wsgi import WsgiApp, plain

UI_PATH = "/__ui__"
OTHER_POST_BYTES = 64 * 1024  # /__csp__ reports and /__apply-cookies: a few hundred bytes


def mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def too_large_message(length: int, limit: int) -> str:
    """What the person sees: what happened and what to do, briefly (it fills a dialog)."""
    return (
        f"Not sent: this request carries {mb(length)}; the server accepts {mb(limit)} at most. "
        "Upload fewer or smaller files at a time, or remove some images. Nothing was changed."
    )


def mesop_error_event(message: str) -> bytes:
    """One Mesop reply that makes the browser show `message` and end the request."""
    response = ui_pb2.UiResponse(error=ui_pb2.ServerError(exception=message))
    encoded = base64.b64encode(response.SerializeToString()).decode("ascii")
    return f"data: {encoded}\n\ndata: <stream_end>\n\n".encode()


def refuse(start_response: Callable[..., Any], message: str) -> list[bytes]:
    """Answer a `/__ui__` request with `message` in Mesop's error dialog, without Mesop."""
    body = mesop_error_event(message)
    headers = [("Content-Type", "text/event-stream"), ("Content-Length", str(len(body)))]
    start_response("200 OK", headers)
    return [body]


def discard(stream: Any, length: int, chunk: int = 1 << 18) -> None:
    """Read `length` bytes a chunk at a time, keeping none; stop early if the client hangs up."""
    while length > 0:
        data = stream.read(min(chunk, length))
        if not data:
            return
        length -= len(data)


def wrap(app: WsgiApp, max_bytes: int) -> WsgiApp:
    def limited(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return app(environ, start_response)
        declared = environ.get("CONTENT_LENGTH", "")
        if not declared.isdigit():
            return plain(
                start_response,
                "411 Length Required",
                "A POST request must declare its Content-Length.",
            )
        length = int(declared)
        to_mesop = environ.get("PATH_INFO", "").endswith(UI_PATH)
        if length <= (max_bytes if to_mesop else OTHER_POST_BYTES):
            return app(environ, start_response)
        discard(environ["wsgi.input"], length)
        if not to_mesop:
            return plain(
                start_response, "413 Content Too Large", f"At most {OTHER_POST_BYTES} bytes here."
            )
        return refuse(start_response, too_large_message(length, max_bytes))

    return limited
