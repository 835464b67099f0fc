"""The type of a WSGI application, for the app's middlewares (request_limit, timing, serving)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
