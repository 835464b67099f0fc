"""Entry point: `mesop app/main.py` for development, `gunicorn app.main:app` for production.

Every module is imported under one of two packages, `app` and `pages`, whichever way the app
starts (`pip install -e .` installs exactly those two). Mesop's CLI also puts this file's folder
on sys.path, which would publish `config`, `gallery` and the rest as top-level names; it is taken
off again here, so a stray `import config` fails in development as it does in production.
"""

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

import mesop as me

from app.errors import ConfigError

_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if not p or str(Path(p).resolve()) != _HERE]

try:
    from app.config import settings  # reads every setting: a bad value stops here, in one line
    from app.gcs import emulator

    # With no bucket configured, run the local GCS emulator (once: under gunicorn the master has
    # already started it and this is a no-op; see gunicorn.conf.py). On Cloud Run without a
    # bucket it refuses, in one line too.
    emulator.start_for_app()
except ConfigError as error:
    sys.exit(f"Refusing to start: {error}")

from app import dev_reload, request_limit, serving, state_shape, timing  # noqa: E402
from app.database import media  # noqa: E402
from app.wsgi import WsgiApp, wrap_on_first_request  # noqa: E402

# Hot reload: on each save, Mesop's CLI resets its runtime and re-executes this file. Its own
# purge of app modules names them relative to app/ (`gallery.view`), so it misses
# `app.gallery.view` and `pages.home`: they would stay cached and register no page. Dropping
# them here makes the re-execution import, and so register, them afresh. The process-wide
# modules (app.config, app.errors, app.gcs, app.memory, ...) stay: they hold the emulator, the
# signing key, the URL cache and the galleries held in memory.
RELOADED = ("pages", "app.patterns", "app.layout", "app.handlers", "app.gallery", "app.stores")
_PREFIXES = tuple(f"{name}." for name in RELOADED)
for _name in [n for n in sys.modules if n in RELOADED or n.startswith(_PREFIXES)]:
    del sys.modules[_name]
    # `from app import layout` takes the parent package's attribute if it has one, without
    # importing: drop that too, or the old module would be used again.
    _parent, _, _child = _name.rpartition(".")
    if _parent in sys.modules and _parent not in RELOADED:
        vars(sys.modules[_parent]).pop(_child, None)

# Under `mesop app/main.py` (debug mode): also reload on edits in pages/ and on saves that
# rename a new file over the old one, which Mesop's own watcher misses (app/dev_reload.py).
dev_reload.start_if_debugging()

from app.patterns import PATTERNS  # noqa: E402
from pages import compare, home  # noqa: E402

# Importing a page module registers its route: the overview, and each pattern's page.
PAGE_MODULES = (home, compare, *(importlib.import_module(p.page) for p in PATTERNS))


def state_classes() -> list[type]:
    """The state classes of the patterns as they are now: hot reload re-imports app.patterns."""
    return [p.state for p in sys.modules["app.patterns"].PATTERNS]


def guarded(mesop_app: WsgiApp, classes: Callable[[], list[type]] = state_classes) -> WsgiApp:
    """Mesop's WSGI app behind the app's middlewares, outermost last:
    state_shape refuses a state whose shape the app would never make (app/state_shape.py);
    request_limit refuses a request over GALLERY_MAX_REQUEST_BYTES before Mesop reads it, lets
    large requests take turns, and ends one whose body trickles (GALLERY_REQUEST_BODY_SECONDS);
    media.mount serves /database's images at /media/... (app/database/media.py);
    timing.wrap returns the app unchanged unless GALLERY_TIMING_LOG is set (for the benchmarks);
    serving.tag_responses names the answering process in each response (see app/serving.py).
    classes: the state classes a request may carry (bench/frame_app.py adds its counter's)."""
    checked = state_shape.wrap(mesop_app, classes)
    limited = request_limit.wrap(
        checked,
        settings.max_request_bytes,
        settings.request_budget_bytes,
        settings.request_body_seconds,
    )
    return serving.tag_responses(timing.wrap(media.mount(limited)))


# The WSGI app for gunicorn; `mesop app/main.py` serves its own Flask app, guarded the same way
# from its second request on.
app = guarded(me.create_wsgi_app())
if __name__ != "app.main":
    wrap_on_first_request(guarded)
