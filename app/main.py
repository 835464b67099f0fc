"""Entry point: `mesop app/main.py` for development, `gunicorn app.main:app` for production.

Mesop's CLI puts this folder (app/) on sys.path; `pip install -e .` puts the same folder there for
gunicorn, the tests and the benchmarks. Every module is therefore imported under one name
(`gallery.view`, `pages.home`) whichever way the app starts.
"""

import sys

import mesop as me

# Hot reload: on each save, Mesop's CLI resets its runtime and re-executes this file. Its own
# module purge misses this app's modules when started from the repository root (it computes their
# names relative to the working directory), so the page modules would stay cached and register no
# page. Dropping them here makes the re-execution import, and so register, them afresh.
APP_PACKAGES = {"config", "layout", "gallery", "pages", "stores"}
for _name in [n for n in sys.modules if n.split(".")[0] in APP_PACKAGES]:
    del sys.modules[_name]

import pages.base64_page  # noqa: E402  (importing a page module registers its route)
import pages.home  # noqa: E402
import pages.placeholder  # noqa: E402, F401

# The WSGI app for gunicorn. Under `mesop app/main.py` it is created but not used.
app = me.create_wsgi_app()
