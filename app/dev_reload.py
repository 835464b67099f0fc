"""Hot reload for pages/ as well as app/ under `mesop app/main.py` (development only).

Mesop 1.3.7's CLI watches only the folder of main.py (app/) and reloads only on a "modified"
event. So an edit in pages/ reloads nothing, and neither does a save that writes a new file and
renames it over the old one (`sed -i`, the "safe write" of several editors): that is a "moved"
event. This watcher covers both. On such a save it writes to a trigger file inside app/, which
Mesop's own watcher sees as an ordinary edit: Mesop then reloads as usual, in its own thread, so
two reloads never overlap. Nothing of Mesop is patched or called.

The trigger file (app/.hot_reload_trigger.py) is made at start-up, ignored by git and never
imported (its name is not a module name). A reload re-imports the pages and what they build on
(app/main.py's RELOADED); the process-wide modules (app/config.py, app/gcs/, app/memory/,
app/database/, app/meter/, the middlewares) keep running as they are: edits to them need a restart.
"""

from __future__ import annotations

import threading
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

APP = Path(__file__).resolve().parent
PAGES = APP.parent / "pages"
TRIGGER = APP / ".hot_reload_trigger.py"
SETTLE_SECONDS = 0.2  # one save can be several events (write, rename, chmod): reload once

_started = False
_lock = threading.Lock()


def _is_source(path: str | bytes) -> bool:
    return isinstance(path, str) and path.endswith(".py") and Path(path) != TRIGGER


class _Saves(FileSystemEventHandler):
    """Pokes Mesop's watcher after the saves it misses: any in pages/, renames and new files in
    app/ (an in-place edit in app/ Mesop sees itself)."""

    def __init__(self, edits_count: bool) -> None:
        self.edits_count = edits_count
        self.timer: threading.Timer | None = None

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        kind = event.event_type
        if kind == "moved":
            path = event.dest_path
        elif kind == "created" or (kind == "modified" and self.edits_count):
            path = event.src_path
        else:
            return
        if _is_source(path):
            with _lock:
                if self.timer is not None:
                    self.timer.cancel()
                self.timer = threading.Timer(SETTLE_SECONDS, poke)
                self.timer.daemon = True
                self.timer.start()


def poke() -> None:
    """A real write (not just a new mtime, which inotify reports as a mere attribute change)."""
    with TRIGGER.open("w") as trigger:
        trigger.write("# Written by app/dev_reload.py to make Mesop's CLI reload. Not imported.\n")


def start_if_debugging() -> None:
    """Watch pages/ and app/ once per process, only under Mesop's CLI in debug mode (hot reload
    on): never under gunicorn or `mesop --prod`."""
    global _started
    from mesop.runtime import runtime  # read only: is Mesop's own watcher running?

    if _started or not runtime().debug_mode:
        return
    _started = True
    poke()  # exists before watching starts, so making it is no event of ours
    observer = Observer()
    observer.daemon = True
    if PAGES.is_dir():
        observer.schedule(_Saves(edits_count=True), str(PAGES), recursive=True)
    observer.schedule(_Saves(edits_count=False), str(APP), recursive=True)
    observer.start()
