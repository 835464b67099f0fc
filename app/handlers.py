"""Event handlers bound to their arguments once, so Mesop sees the same handler object on every
render. Used by the gallery's thumbnails and buttons and by the navigation of every page."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any


@cache
def bound(action: Callable[..., Any], *args: Any) -> partial:
    """`action` bound to `args`: the same handler object on every render, for every component.

    Why not a fresh `partial(action, *args)` per component, the obvious way: Mesop 1.3.7 names a
    handler by hashing its source code and arguments (`compute_fn_id` in
    mesop/component_helpers/helper.py), memoised per handler *object* (functools.lru_cache; a
    partial is hashed by identity). A new partial on every render is a cache miss, so each
    registration re-read the action's source with inspect.getsource, about half of a 48-thumbnail
    render, and left one more entry in that never-emptied cache. Handing Mesop the same object
    makes the id a dictionary lookup. The id itself does not change (same source, same repr of
    the arguments), so every process, and the render before a click, still compute the same one.
    The arguments must be hashable (a frozen dataclass store, a URL string).
    """
    return partial(action, *args)
