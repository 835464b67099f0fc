"""Entry point: `mesop app/main.py` for development, `gunicorn app.main:app` for production.

Mesop's CLI puts this folder (app/) on sys.path; `pip install -e .` puts the same folder there for
gunicorn, the tests and the benchmarks. Every module is therefore imported under one name
(`gallery.view`, `pages.home`), which is also what Mesop's hot reload expects.
"""

import mesop as me

import pages.base64_page
import pages.home
import pages.placeholder  # noqa: F401

# The WSGI app for gunicorn. Under `mesop app/main.py` it is created but not used.
app = me.create_wsgi_app()
