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

Under the cap, requests can still add up: a 28 MB `/__ui__` request costs Mesop about 240 MB
while it decodes, parses and answers it, and eight at once took a worker to 1.3 GB. So a request
over SMALL_REQUEST waits for room in a budget of such bytes in flight (GALLERY_REQUEST_BUDGET_BYTES,
app/byte_budget.py) and is refused, named as busy, if none comes in 30 s; small clicks never wait.

Every POST body must also keep coming: it gets GALLERY_REQUEST_BODY_SECONDS, then must average
BODY_MIN_RATE, or the request ends with 408 (and the connection with it). Why: a client that
sends its body a byte every few seconds holds a worker thread for as long as it likes, and one
that declares an oversized body would hold it through the whole discard. The deadline is checked
on every recv() under gunicorn's body reader (a socket timeout alone restarts with each byte), so
it needs gunicorn's reader; under another server bodies are capped but not paced.

This guards gunicorn (`app.main:app`), any other WSGI server, and `mesop app/main.py` from its
second request on (app/wsgi.py). Not guarded: Mesop's optional WebSocket transport
(MESOP_WEBSOCKETS_ENABLED).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from mesop.protos import ui_pb2
from werkzeug.exceptions import RequestTimeout

from app import byte_budget
from app.units import human_bytes
from app.wsgi import WsgiApp, plain

UI_PATH = "/__ui__"
OTHER_POST_BYTES = 64 * 1024  # /__csp__ reports and /__apply-cookies: a few hundred bytes
# A /__ui__ request up to this size never waits for the budget of request bytes in flight: a click
# on /memory, /gcs or /database sends about a kilobyte; uploads and /base64 clicks send more.
SMALL_REQUEST = 1024 * 1024
# After its grace time a body must average this much: 32 kbit/s, far below any real uplink, far
# above a byte every few seconds (a client paying it for 50 connections sends 1.6 Mbit/s).
BODY_MIN_RATE = 4_000  # bytes per second


def too_large_message(length: int, limit: int) -> str:
    """What the person sees: what happened and what to do, briefly (it fills a dialog)."""
    return (
        f"Not sent: this request carries {human_bytes(length)}; the server accepts "
        f"{human_bytes(limit)} at most. "
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


class PacedSocket:
    """Stands in for the client's socket under gunicorn's body reader: every recv() may wait only
    until the deadline, which starts `grace` seconds out and moves one second later for every
    `rate` bytes received; past it, the request ends with 408 (werkzeug's RequestTimeout, which
    Flask answers and which the request limit below answers itself)."""

    def __init__(self, sock: Any, grace: float, rate: int) -> None:
        self._sock = sock
        self._rate = rate
        self.deadline = time.monotonic() + grace

    def recv(self, size: int) -> bytes:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise RequestTimeout("The request body came too slowly.")
        prior = self._sock.gettimeout()
        self._sock.settimeout(remaining if prior is None else min(prior, remaining))
        try:
            data = self._sock.recv(size)
        except TimeoutError:
            raise RequestTimeout("The request body came too slowly.") from None
        finally:
            self._sock.settimeout(prior)
        self.deadline += len(data) / self._rate
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def pace(environ: dict[str, Any], grace: float) -> Callable[[], None]:
    """Put a PacedSocket under this request's body reader; returns what puts the socket back (the
    reader serves the connection's next request too). gunicorn 27 reads a body through
    `wsgi.input.reader.unreader.sock`; under any other server this does nothing."""
    unreader = getattr(getattr(environ.get("wsgi.input"), "reader", None), "unreader", None)
    sock = getattr(unreader, "sock", None)
    if sock is None or not hasattr(sock, "recv"):
        return lambda: None
    unreader.sock = PacedSocket(sock, grace, BODY_MIN_RATE)

    def restore() -> None:
        unreader.sock = sock

    return restore


BUSY_MESSAGE = (
    "Not sent: the server is busy with other large requests (uploads, or clicks carrying a large "
    "state). Try again in a moment. Nothing was changed."
)


class _Releasing:
    """The app's reply, which gives the request's bytes back to the budget when the server
    closes it (WSGI servers call close() however the reply ends)."""

    def __init__(self, reply: Iterable[bytes], release: Callable[[], None]) -> None:
        self._reply = reply
        self._release = release

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._reply)

    def close(self) -> None:
        try:
            close = getattr(self._reply, "close", None)
            if close is not None:
                close()
        finally:
            self._release()


def wrap(
    app: WsgiApp, max_bytes: int, budget_bytes: int | None = None, body_seconds: float = 0
) -> WsgiApp:
    """budget_bytes: the most bytes of large `/__ui__` requests (over SMALL_REQUEST) that Mesop
    may hold at once, about a third of what they cost it (the body, its decoded copy, the parsed
    request); a large request waits for room, then is refused (byte_budget.py). None: no budget.
    body_seconds: each POST body's grace time before it must keep BODY_MIN_RATE; 0: not paced."""
    budget = byte_budget.shared("requests", budget_bytes) if budget_bytes else None

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
        restore = pace(environ, body_seconds) if body_seconds else (lambda: None)
        try:
            # The body is read (by state_shape, or by Mesop) before the app returns its reply.
            if length <= (max_bytes if to_mesop else OTHER_POST_BYTES):
                if not to_mesop or budget is None or length <= SMALL_REQUEST:
                    return app(environ, start_response)
                try:
                    taken = budget.acquire(length)
                except byte_budget.Busy:
                    discard(environ["wsgi.input"], length)
                    return refuse(start_response, BUSY_MESSAGE)
                try:
                    reply = app(environ, start_response)
                except BaseException:
                    budget.release(taken)
                    raise
                return _Releasing(reply, lambda: budget.release(taken))
            discard(environ["wsgi.input"], length)
        except RequestTimeout as slow:
            return plain(start_response, "408 Request Timeout", str(slow.description))
        finally:
            restore()
        if not to_mesop:
            return plain(
                start_response, "413 Content Too Large", f"At most {OTHER_POST_BYTES} bytes here."
            )
        return refuse(start_response, too_large_message(length, max_bytes))

    return limited
