"""Refuse a Mesop state the app would never make, before Mesop parses it.

Why: after every event Mesop diffs each state class with DeepDiff, and DeepDiff's list diff is
quadratic in repeated items: a list of 8,000 identical short strings costs about 10 s of CPU even
when nothing changed (docs/performance.md, "State shape, not only state size"). Such a state is a
100 kB request, far under the size cap (request_limit.py), and the browser is free to send any
state it likes. So each `/__ui__` request's states are checked against the shape of the app's
state classes, read from their type hints: every field of the right JSON type, every list at most
`items` long and every string at most `chars` long. A field's bounds come from the app's own
limits and are declared where the field is, in its metadata (`bound()`); a list field without
them is an error at start-up, because nothing else would stop it growing.

A request that does not fit is answered in Mesop's own protocol (the error dialog) in
milliseconds, and logged in one line that names the field; Mesop never sees it. Mesop does not
say which state class a state belongs to (it pairs them by order of registration), so a state is
matched by its field names: it must fit a class with those fields.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import io
import json
import logging
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import DecodeError
from mesop.protos import ui_pb2

from app.request_limit import UI_PATH, refuse
from app.wsgi import WsgiApp

log = logging.getLogger(__name__)

SHORT_CHARS = 2_000  # a string field without its own bound: ids, keys, names, one message
_BOUND = "state_shape"


@dataclass(frozen=True)
class Bound:
    items: int = 0  # a list: at most this many items (0: no list here)
    chars: int = SHORT_CHARS  # a string, or each string of a list: at most this many characters


def bound(*, items: int = 0, chars: int = SHORT_CHARS) -> dict[str, Bound]:
    """Field metadata: `field(default_factory=list, metadata=bound(items=100))`."""
    return {_BOUND: Bound(items, chars)}


class Misshapen(ValueError):
    """A state that does not fit; `str()` names the field and what was wrong, never its value."""


Check = Callable[[Any, str], None]


def _kind(hint: Any, limit: Bound, where: str) -> Check:
    """A check for one type hint, built once at start-up."""
    origin = typing.get_origin(hint)
    if hint is str:
        chars = limit.chars

        def check_str(value: Any, path: str) -> None:
            if not isinstance(value, str):
                raise Misshapen(f"{path} is not a string")
            if len(value) > chars:
                raise Misshapen(f"{path} has {len(value):,} characters; at most {chars:,}")

        return check_str
    if hint in (int, float, bool):
        allowed = (bool,) if hint is bool else (int, float) if hint is float else (int,)

        def check_number(value: Any, path: str) -> None:
            if not isinstance(value, allowed) or (hint is not bool and isinstance(value, bool)):
                raise Misshapen(f"{path} is not a {hint.__name__}")

        return check_number
    if origin is list:
        if not limit.items:
            raise TypeError(f"{where}: a list in state needs bound(items=...) in its metadata")
        (item_hint,) = typing.get_args(hint)
        check_item = _kind(item_hint, Bound(chars=limit.chars), f"{where}[]")
        items = limit.items

        def check_list(value: Any, path: str) -> None:
            if not isinstance(value, list):
                raise Misshapen(f"{path} is not a list")
            if len(value) > items:
                raise Misshapen(f"{path} has {len(value):,} items; at most {items:,}")
            for index, item in enumerate(value):
                check_item(item, f"{path}[{index}]")

        return check_list
    if dataclasses.is_dataclass(hint):
        return _fields(typing.cast(type, hint))
    if origin in (typing.Union, types.UnionType):
        raise TypeError(f"{where}: optional or union fields are not checked; avoid them in state")
    raise TypeError(f"{where}: {hint!r} is not a type state_shape checks")


def _fields(cls: type) -> Check:
    hints = typing.get_type_hints(cls)
    checks = {
        f.name: _kind(hints[f.name], f.metadata.get(_BOUND, Bound()), f"{cls.__name__}.{f.name}")
        for f in dataclasses.fields(cls)
    }

    def check_object(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise Misshapen(f"{path} is not an object")
        for key, item in value.items():
            check = checks.get(key)
            if check is None:
                raise Misshapen(f"{path} has a field it does not declare")
            check(item, f"{path}.{key}")

    return check_object


class Shapes:
    """The app's state classes, each with its check, found by field names."""

    def __init__(self, classes: Sequence[type]) -> None:
        self._by_fields: dict[frozenset[str], list[tuple[str, Check]]] = {}
        for cls in classes:
            names = frozenset(f.name for f in dataclasses.fields(cls))
            self._by_fields.setdefault(names, []).append((cls.__name__, _fields(cls)))
        self._count = len(classes)

    def check(self, states: Iterable[str]) -> None:
        """Raise Misshapen unless every state (Mesop's JSON) fits one of the classes."""
        states = list(states)
        if len(states) > self._count:
            raise Misshapen(f"{len(states)} states; the app has {self._count} state classes")
        for data in states:
            try:
                value = json.loads(data)
            except (ValueError, RecursionError):
                raise Misshapen("a state is not JSON, or is nested too deep") from None
            if not isinstance(value, dict):
                raise Misshapen("a state is not an object")
            candidates = self._by_fields.get(frozenset(value))
            if candidates is None:
                candidates = [
                    c for names, cs in self._by_fields.items() if names >= set(value) for c in cs
                ]
            if not candidates:
                raise Misshapen("a state's fields match none of the app's state classes")
            problems = []
            for name, check in candidates:
                try:
                    check(value, name)
                    break
                except Misshapen as problem:
                    problems.append(str(problem))
            else:
                raise Misshapen("; ".join(problems))


def refusal(reason: str) -> str:
    """What the person sees (only a client the app did not write can get here)."""
    return f"Refused: this request's state is not one this app makes ({reason}). Reload the page."


def states_of(body: bytes) -> list[str]:
    """The states a `/__ui__` request carries (none for a first load or a server-side session)."""
    try:
        request = ui_pb2.UiRequest.FromString(base64.urlsafe_b64decode(body))
    except (binascii.Error, ValueError, DecodeError):
        raise Misshapen("the request is not a Mesop request") from None
    if not request.HasField("user_event"):
        return []
    return [state.data for state in request.user_event.states.states]


def wrap(app: WsgiApp, classes: Callable[[], Sequence[type]]) -> WsgiApp:
    """Check every `/__ui__` request's states; pass the request on, body intact, if they fit.
    Goes inside request_limit.wrap, which has already refused a body over the size cap.
    classes: the state classes as they are now (under the CLI, hot reload makes new ones)."""
    built: dict[tuple[type, ...], Shapes] = {}

    def current() -> Shapes:
        key = tuple(classes())
        if key not in built:
            built.clear()
            built[key] = Shapes(key)
        return built[key]

    def checked(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        declared = environ.get("CONTENT_LENGTH", "")
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or not environ.get("PATH_INFO", "").endswith(UI_PATH)
            or not declared.isdigit()
        ):
            return app(environ, start_response)
        body = environ["wsgi.input"].read(int(declared))
        try:
            current().check(states_of(body))
        except Misshapen as problem:
            log.warning("refused a %s request: %s", UI_PATH, problem)
            return refuse(start_response, refusal(str(problem)))
        environ["wsgi.input"] = io.BytesIO(body)
        return app(environ, start_response)

    return checked
