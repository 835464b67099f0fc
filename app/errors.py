"""Exceptions shared by modules that Mesop's hot reload re-imports and modules it does not.

Why a module of its own: main.py drops and re-imports the page-related packages on each hot
reload, but the process-wide ones (gcs, memory) keep their references. A class defined in a
re-imported module would then exist twice, and `except StoreUnavailable` in fresh code would not
catch one raised by process-wide code. Defined here, outside the reloaded packages, it exists once.
"""

from __future__ import annotations


class StoreUnavailable(RuntimeError):
    """Where the images live cannot be reached right now; `str()` is shown on the page."""
