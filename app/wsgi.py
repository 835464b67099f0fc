"""The type of a WSGI application, and a short plain-text answer, for the app's middlewares
(request_limit, the media route, timing, serving)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def plain(
    start_response: Callable[..., Any], status: str, text: str, *headers: tuple[str, str]
) -> list[bytes]:
    """`text` as the whole answer: what a refused request gets, never a traceback."""
    body = (text + "\n").encode()
    plain_headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
    ]
    start_response(status, [*plain_headers, *headers])
    return [body]
