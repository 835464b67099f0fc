"""Entry point: `mesop app/main.py` for development, `gunicorn app.main:app` for production.

Mesop's CLI puts this folder (app/) on sys.path; `pip install -e .` puts the same folder there for
gunicorn, the tests and the benchmarks. Every module is therefore imported under one name
(`gallery.view`, `pages.home`) whichever way the app starts.
"""

import sys

import mesop as me

import request_limit
import serving
import timing
from config import settings
from gcs import emulator

# Hot reload: on each save, Mesop's CLI resets its runtime and re-executes this file. Its own
# module purge misses this app's modules when started from the repository root (it computes their
# names relative to the working directory), so the page modules would stay cached and register no
# page. Dropping them here makes the re-execution import, and so register, them afresh. `gcs`,
# `memory` and `config` stay: they hold process-wide things (the emulator, the signing key, the
# URL cache, the galleries held in memory).
RELOADED_PACKAGES = {"layout", "handlers", "gallery", "pages", "stores"}
for _name in [n for n in sys.modules if n.split(".")[0] in RELOADED_PACKAGES]:
    del sys.modules[_name]

# With no bucket configured, run the local GCS emulator (once: under gunicorn the master has
# already started it and this is a no-op; see gunicorn.conf.py).
emulator.start_for_app()

from pages import base64_page, gcs_page, home, memory_page  # noqa: E402

# Importing a page module registers its route: these are the pages this app serves.
PAGE_MODULES = (home, base64_page, memory_page, gcs_page)

# The WSGI app for gunicorn. Under `mesop app/main.py` it is created but not used.
# request_limit refuses a request over GALLERY_MAX_REQUEST_BYTES before Mesop reads it;
# timing.wrap returns the app unchanged unless GALLERY_TIMING_LOG is set (for the benchmarks);
# serving.tag_responses names the answering process in each response (see app/serving.py).
app = serving.tag_responses(
    timing.wrap(request_limit.wrap(me.create_wsgi_app(), settings.max_request_bytes))
)
