"""The type of a WSGI application, a short plain-text answer, and the hook that puts the app's
middlewares (request_limit, state_shape, the media route, timing, serving) in front of Mesop under
its CLI too."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import flask

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


def wrap_on_first_request(wrapper: Callable[[WsgiApp], WsgiApp]) -> None:
    """For `mesop app/main.py`: Mesop's CLI runs a Flask app of its own, out of reach until it
    serves a request. When its first request starts, wrap that app's `wsgi_app` (Flask's place
    for WSGI middleware) once, so from the second request on it is served as under gunicorn: the
    media route, the request limits, the state check, the X-Served-By header."""

    def wrap(sender: flask.Flask, **extra: Any) -> None:
        if not getattr(sender, "app_middleware_mounted", False):
            sender.wsgi_app = wrapper(sender.wsgi_app)  # type: ignore[method-assign]
            sender.app_middleware_mounted = True  # type: ignore[attr-defined]

    flask.request_started.connect(wrap, weak=False)
