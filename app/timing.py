"""Server time per /__ui__ and /media/ request, for the benchmarks: a WSGI middleware, off by
default.

Why in the app: the browser's timing of a click includes the network and the browser; the
benchmarks want the server's share alone. Mesop streams its reply (server-sent events), so the
clock stops when the response iterable is closed, not when the headers are sent.

Enabled by GALLERY_TIMING_LOG=<file>: one JSON line per request to Mesop (`"kind": "ui"`) or to
the /database page's image route (`"kind": "media"`), {"kind", "path", "ms", "cpu_ms", "pid"}
(`path`: the page that sent it). `ms` is wall-clock time; `cpu_ms` is the CPU time of the thread
that served the request (time.thread_time), which other processes on a busy machine do not
inflate: on a 2-core machine shared with other work, it is the steadier number for comparing
two renders. (A gunicorn sync worker runs the request, streaming included, on one thread.)
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from app.config import settings
from app.wsgi import WsgiApp

_lock = threading.Lock()


def wrap(app: WsgiApp, log_path: str | None = None) -> WsgiApp:
    log_path = log_path if log_path is not None else settings.timing_log
    if not log_path:
        return app

    def timed(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        started, cpu_started = time.perf_counter(), time.thread_time()
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            close = getattr(body, "close", None)
            if close:
                close()
            route = environ.get("PATH_INFO", "")
            kind = (
                "ui"
                if route.endswith("/__ui__")
                else "media"
                if route.startswith("/media/")
                else ""
            )
            if kind:
                ms = (time.perf_counter() - started) * 1000
                cpu_ms = (time.thread_time() - cpu_started) * 1000
                line = json.dumps({"kind": kind, "path": environ.get("HTTP_REFERER", ""),
                                   "ms": round(ms, 3), "cpu_ms": round(cpu_ms, 3),
                                   "pid": os.getpid()})  # fmt: skip
                with _lock, open(log_path, "a") as log:
                    log.write(line + "\n")

    return timed
