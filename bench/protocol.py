"""A Mesop client that speaks the browser's protocol, for load tests: no browser, same requests.

Why not a browser: a load test wants hundreds of users on two cores. Why not a recorded request
replayed: Mesop's state lives in the client, so a faithful user must keep it as the browser does,
applying the server's state diffs and sending the whole state back on every click (on /base64, the
images). What it does, as Mesop 1.3.7's web client does:

- `POST /__ui__` with `base64url(UiRequest)` and an `Origin` header (else 403); the reply is
  server-sent events, `data: base64(UiResponse)`, ending with `data: <stream_end>`;
- an init request returns the full component tree and the full states; an event returns state
  diffs in DeepDiff's flat-dict Delta format, applied here to the JSON states;
- handler ids come from the rendered tree (each component's typed proto); an event without a
  handler (a window resize) makes Mesop send the full tree again, which is how the client learns
  the thumbnails after a render it only received as a component diff;
- under a state session backend (`MESOP_STATE_SESSION_BACKEND`), each reply carries a state token,
  and the next event sends that token instead of the states; when the answering process does not
  know the token ("Token not found in state session backend."), the event is sent again with the
  whole state, as Mesop's client does (the reply then counts both requests' bytes).

A session keeps one keep-alive connection (`pinned`, as a browser tab does): behind gunicorn with
several workers, every click then reaches the worker that accepted it. Unpinned, every click opens
a new connection, so any worker may answer it: what a client without affinity sees. A session also
keeps the cookies the server sets and sends them back, as a browser does: behind a load balancer
with cookie-based session affinity (Cloud Run's), that cookie is what keeps it on one instance.
`https://` URLs are spoken over TLS.

What it leaves out: the images themselves (on /gcs the browser would fetch them from storage, not
from Mesop; on /memory and /base64 they arrive inside the replies, which are read in full).
"""

from __future__ import annotations

import base64
import http.client
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from deepdiff import Delta
from mesop.components.box import box_pb2
from mesop.components.button import button_pb2
from mesop.components.image import image_pb2
from mesop.components.text import text_pb2
from mesop.protos import ui_pb2 as pb

STREAM_END = b"<stream_end>"
STALE_CONNECTION = (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)
TOKEN_UNKNOWN = "Token not found in state session backend."  # Mesop's words; its client resends
# Bounds on one reply, whatever the server does: the largest this app sends is an add's state
# diff (about 15 MB at 48 images on /base64); a reply that trickles on past the session's timeout
# is cut off, as the socket's own timeout only bounds each read.
MAX_REPLY_BYTES = 256_000_000


class ProtocolError(RuntimeError):
    """The server answered, but not as a working Mesop app does (an error reply, a bad status)."""

    def __init__(self, message: str, status: int = 0, reply: Reply | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reply = reply  # what came back, when something did

    @property
    def served_by(self) -> str:
        return self.reply.served_by if self.reply else ""


@dataclass(frozen=True)
class Clickable:
    handler_id: str
    key: str
    label: str  # the text or image alt inside it: how a user would pick it
    payload: str = ""  # a web component event's value, as JSON (a thumbnail's {"key": ...})


@dataclass
class Reply:
    status: int
    bytes_up: int
    bytes_down: int
    seconds: float
    messages: list[pb.UiResponse] = field(default_factory=list)
    served_by: str = ""  # the answering process, where the app names it (this app's X-Served-By)
    state_resent: bool = False  # the token was unknown there, so the whole state went up again
    missed_by: str = ""  # with state_resent: the process that did not know the token

    @property
    def root(self) -> pb.Component | None:
        for message in self.messages:
            if message.HasField("render") and message.render.HasField("root_component"):
                return message.render.root_component
        return None


def clickables(root: pb.Component) -> Iterator[Clickable]:
    """Every button and clickable box in the tree, labelled by the first text or alt inside it,
    then every thumbnail of the grid (app/gallery/thumbnails.py): its chunks hold the data, and a
    click is the grid's web event with {"key": ...}, as the browser's grid sends it."""
    grid: Clickable | None = None
    chunks: list[dict] = []
    for component in walk(root):
        name = component.type.name.fn_name
        handler = ""
        if name == "content_button":  # me.button's inner component; the outer one is a wrapper
            handler = button_pb2.ButtonType.FromString(component.type.value).on_click_handler_id
        elif name == "box":
            handler = box_pb2.BoxType.FromString(component.type.value).on_click_handler_id
        elif name == "<web>thumbnail-grid":
            web = pb.WebComponentType.FromString(component.type.value)
            grid = Clickable(json.loads(web.events_json)["selectEvent"], component.key.key, "")
        elif name == "<web>thumbnail-chunk":
            chunks.append(
                json.loads(pb.WebComponentType.FromString(component.type.value).properties_json)
            )
        if handler:
            yield Clickable(handler, component.key.key, _label(component))
    if grid is None:
        return
    for chunk in sorted(chunks, key=lambda chunk: chunk["index"]):
        for thumb in chunk["thumbnails"]:
            payload = json.dumps({"key": thumb["key"]}, separators=(",", ":"))  # as JSON.stringify
            yield Clickable(grid.handler_id, grid.key, f"Thumbnail: {thumb['name']}", payload)


def components(root: pb.Component) -> int:
    """How many components a render made: every node of the tree, the root included. Mesop
    builds each of them on every render, and renders the page twice per click."""
    return sum(1 for _ in walk(root))


def walk(component: pb.Component) -> Iterator[pb.Component]:
    """Every component of the tree, depth first, the root first."""
    yield component
    for child in component.children:
        yield from walk(child)


def _label(component: pb.Component) -> str:
    name = component.type.name.fn_name
    if name == "text":
        return text_pb2.TextType.FromString(component.type.value).text
    if name == "image":
        return image_pb2.ImageType.FromString(component.type.value).alt
    for child in component.children:
        label = _label(child)
        if label:
            return label
    return ""


class Session:
    """One simulated browser tab on one page: its connection, its states, its last tree."""

    def __init__(
        self,
        base_url: str,
        path: str,
        query: dict[str, str] | None = None,
        timeout: float = 120,
        pinned: bool = True,
    ) -> None:
        parts = urlsplit(base_url)
        self.pinned = pinned
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.path = path
        self.query = [pb.QueryParam(key=k, values=[v]) for k, v in (query or {}).items()]
        tls = parts.scheme == "https"
        kind = http.client.HTTPSConnection if tls else http.client.HTTPConnection
        self.connection = kind(parts.hostname, parts.port, timeout=timeout)
        self.timeout = timeout
        self.cookies: SimpleCookie = SimpleCookie()
        self.states: list[str] = []  # each stateclass's JSON, as the server sent it
        self._parsed: list[object] = []  # the same, parsed, to apply diffs without re-parsing
        self.root: pb.Component | None = None
        self.state_token = ""  # the server keeps the states (a state session backend)

    def close(self) -> None:
        self.connection.close()

    def init(self) -> Reply:
        init = pb.InitRequest(query_params=self.query)
        reply = self._post(pb.UiRequest(path=self.path, init=init))
        self.root = reply.root or self.root
        return reply

    def click(self, target: Clickable) -> Reply:
        event = pb.UserEvent(handler_id=target.handler_id, key=pb.Key(key=target.key))
        if target.payload:
            event.string_value = target.payload
        else:
            event.click.SetInParent()
        return self._event(event)

    def refresh_tree(self) -> Reply:
        """A resize event: no handler runs, and Mesop answers with the whole tree."""
        reply = self._event(pb.UserEvent(resize=pb.ResizeEvent()))
        self.root = reply.root or self.root
        return reply

    def state_value(self, field: str) -> str:
        """The first non-empty top-level `field` among the states (a gallery's id, say)."""
        for state in self._parsed:
            if isinstance(state, dict) and state.get(field):
                return str(state[field])
        return ""

    def find(self, prefix: str) -> list[Clickable]:
        """The clickables whose label starts with `prefix` ("Add sample images", "Thumbnail")."""
        if self.root is None:
            return []
        return [c for c in clickables(self.root) if c.label.startswith(prefix)]

    def _event(self, event: pb.UserEvent) -> Reply:
        missed: Reply | None = None
        if self.state_token:
            event.state_token = self.state_token
            try:
                return self._post(pb.UiRequest(path=self.path, user_event=event))
            except ProtocolError as error:
                if TOKEN_UNKNOWN not in str(error) or error.reply is None:
                    raise
                missed = error.reply
            event.ClearField("state_token")
        event.states.CopyFrom(pb.States(states=[pb.State(data=s) for s in self.states]))
        reply = self._post(pb.UiRequest(path=self.path, user_event=event))
        if missed is not None:
            reply.state_resent = True
            reply.missed_by = missed.served_by
            reply.bytes_up += missed.bytes_up
            reply.bytes_down += missed.bytes_down
            reply.seconds += missed.seconds
        return reply

    def _post(self, request: pb.UiRequest) -> Reply:
        body = base64.urlsafe_b64encode(request.SerializeToString())
        headers = {"Content-Type": "text/plain", "Origin": self.origin}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        if not self.pinned:
            self.connection.close()  # a new connection: whichever worker accepts it answers
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.connection.request("POST", "/__ui__", body=body, headers=headers)
                response = self.connection.getresponse()
                raw = self._read(response, started + self.timeout)
                break
            except STALE_CONNECTION:
                # The server closed an idle keep-alive connection; browsers retry on a new one.
                self.connection.close()
                if attempt == 2:
                    raise
            except (OSError, http.client.HTTPException):
                self.connection.close()  # reconnect on the next request
                raise
        seconds = time.perf_counter() - started
        if response.will_close:
            self.connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(cookie)
        reply = Reply(response.status, len(body), len(raw), seconds,
                      served_by=response.getheader("X-Served-By", ""))  # fmt: skip
        if response.status != 200:
            raise ProtocolError(f"HTTP {response.status} from /__ui__", response.status,
                                reply)  # fmt: skip
        ended = False
        for event in raw.split(b"\n\n"):
            data = event.removeprefix(b"data: ")
            if not data:
                continue
            if data == STREAM_END:
                ended = True
                continue
            message = pb.UiResponse.FromString(base64.b64decode(data))
            if message.HasField("error"):
                raise ProtocolError(f"Mesop error: {message.error.exception}", response.status,
                                    reply)  # fmt: skip
            if message.HasField("update_state_event"):
                self._update_states(message.update_state_event)
            reply.messages.append(message)
        if not ended:
            raise ProtocolError("reply ended without <stream_end>", response.status,
                                reply)  # fmt: skip
        return reply

    def _read(self, response: http.client.HTTPResponse, deadline: float) -> bytes:
        """The whole reply, within the session's timeout and MAX_REPLY_BYTES."""
        chunks, size = [], 0
        while chunk := response.read1(1 << 16):
            size += len(chunk)
            chunks.append(chunk)
            if size > MAX_REPLY_BYTES or time.perf_counter() > deadline:
                self.connection.close()
                if size > MAX_REPLY_BYTES:
                    raise TimeoutError(f"reply over {MAX_REPLY_BYTES:,} B: cut off")
                raise TimeoutError(f"reply still arriving after {self.timeout} s ({size:,} B)")
        # read1 stops at a sized reply's end without marking it complete; read() does, so the
        # kept connection can carry the next request.
        chunks.append(response.read())
        return b"".join(chunks)

    def _update_states(self, update: pb.UpdateStateEvent) -> None:
        self.state_token = update.state_token
        if update.HasField("full_states"):
            self.states = [s.data for s in update.full_states.states]
            self._parsed = [json.loads(s) for s in self.states]
            return
        for index, diff in enumerate(update.diff_states.states):
            changes = json.loads(diff.data)
            if not changes:
                continue
            delta = Delta(flat_dict_list=changes, mutate=True, raise_errors=True)
            self._parsed[index] = self._parsed[index] + delta
            self.states[index] = json.dumps(self._parsed[index])


def rendered_components(base_url: str, path: str, additions: int = 0) -> int:
    """How many components one render of a page makes after its click: with `additions`, a
    select after that many "Add sample images" clicks (12 images each) on a gallery of this
    client's own; without, a counter's click ("Count"). Counted in the whole tree Mesop sends
    after the click. Mesop builds every one of them twice per click (bench/payload.py records
    them; tests/test_components.py bounds them)."""
    session = Session(base_url, path)
    try:
        session.init()
        if additions:
            for _ in range(additions):
                session.click(session.find("Add sample images")[0])
            session.refresh_tree()
            session.click(session.find("Thumbnail")[0])
        else:
            session.click(session.find("Count")[0])
        session.refresh_tree()  # the whole tree, as rendered after the click
        if session.root is None:
            raise ProtocolError(f"{path}: no component tree")
        return components(session.root)
    finally:
        session.close()
