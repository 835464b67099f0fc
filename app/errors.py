"""Exceptions shared by modules that Mesop's hot reload re-imports and modules it does not.

Why a module of its own: main.py drops and re-imports the page-related modules on each hot
reload, but the process-wide ones (app.gcs, app.memory, app.config) keep their references. A class
defined in a re-imported module would then exist twice, and `except StoreUnavailable` in fresh
code would not catch one raised by process-wide code. Defined here, outside the reloaded modules,
it exists once. ConfigError lives here too, so that a start-up script can catch it even when
importing app.config is what raised it.
"""

from __future__ import annotations


class StoreUnavailable(RuntimeError):
    """Where the images live cannot be reached right now; `str()` is shown on the page."""


class ConfigError(ValueError):
    """A setting in the environment cannot be used; the message names the variable."""
