"""Who served this: scale-out made visible, on every page and on every response.

Why two places: with several gunicorn workers or Cloud Run instances, each click may reach a
different process, and whether that matters depends on where state lives. The footer names the
process that rendered the page when it loaded, and what the active Mesop state backend needs from
several processes. It cannot name the process of a later click: Mesop answers a click with the
difference between two renders made by the process that answered it, so a process id in the page
changes only at page load. Every response therefore also carries its process in an `X-Served-By`
header, which DevTools shows for each `/__ui__` request (one per click).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import mesop as me

from app.config import settings
from app.wsgi import WsgiApp

HEADER = "X-Served-By"

# What Mesop's MESOP_STATE_SESSION_BACKEND means once there are several processes.
BACKENDS = {
    "none": "state travels with every click, so any process can answer",
    "memory": "state stays in one process: without session affinity, a click that reaches "
    "another process sends all of it again",
    "file": "state is kept in files on one machine: several instances need a shared disk",
    "sql": "state is kept in a shared database, so any process can answer",
    "firestore": "state is kept in Firestore, so any process can answer",
}


def footer() -> None:
    backend = settings.state_backend
    meaning = BACKENDS.get(backend, "see Mesop's documentation")
    me.text(
        f"Mesop state session backend: {backend} ({meaning}) · this page was served by process "
        f"{os.getpid()} when it loaded; each click's process is in the {HEADER} header of its "
        "/__ui__ request (DevTools, Network)",
        style=me.Style(color="#777", font_size=12, margin=me.Margin(top=24)),
    )


def tag_responses(app: WsgiApp) -> WsgiApp:
    """WSGI middleware: every response names the process that produced it."""

    def tagged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, (HEADER, str(os.getpid()))], exc_info)

        return app(environ, start)

    return tagged
