"""Handlers bound once (handlers.bound): one object for every thumbnail, with the id Mesop would
give anyway.

Why it matters: Mesop 1.3.7 memoises handler ids per handler object (compute_fn_id), so a fresh
functools.partial per thumbnail re-read the action's source on every render. These tests pin the
two things the reuse must not break: the id is unchanged (so a click is matched to the handler
registered by the render before it) and it is the same in every process (gunicorn workers).
"""

from __future__ import annotations

import subprocess
import sys
from functools import partial

from mesop.component_helpers.helper import compute_fn_id

from app.gallery import actions
from app.handlers import bound
from app.stores.gcs_store import GcsStore
from app.stores.memory_store import MemoryStore


def test_one_handler_object_per_action_and_store() -> None:
    assert bound(actions.select, GcsStore()) is bound(actions.select, GcsStore())
    assert bound(actions.select, GcsStore()) is not bound(actions.select, MemoryStore())
    assert bound(actions.select, GcsStore()) is not bound(actions.clear, GcsStore())


def test_the_handler_id_is_the_one_a_fresh_partial_gets() -> None:
    reused = bound(actions.select, GcsStore())
    assert compute_fn_id(reused) == compute_fn_id(partial(actions.select, GcsStore()))
    assert compute_fn_id(reused) != compute_fn_id(bound(actions.select, MemoryStore()))


def test_the_handler_id_is_the_same_in_another_process() -> None:
    """No memory address or per-process value in the id: any gunicorn worker may take the click."""
    code = (
        "from mesop.component_helpers.helper import compute_fn_id\n"
        "from app.gallery import actions\n"
        "from app.handlers import bound\n"
        "from app.stores.gcs_store import GcsStore\n"
        "print(compute_fn_id(bound(actions.select, GcsStore())))\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()
    assert other == compute_fn_id(bound(actions.select, GcsStore()))
