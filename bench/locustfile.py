"""Load-test a Mesop app with Locust: each user is a browser tab without the browser.

    locust -f bench/locustfile.py --host http://127.0.0.1:8080                 # web UI on :8089
    locust -f bench/locustfile.py --host URL --headless -u 50 -r 10 -t 60s --csv out
    locust -f bench/locustfile.py --host URL --master     # then, on each load machine:
    locust -f bench/locustfile.py --worker --master-host MASTER

A user opens `--mesop-path` (with `--mesop-query`), clicks each `--mesop-setup` label once (named
"setup: LABEL" in Locust's tables), then clicks in turn the first and the last target whose label
starts with `--mesop-click` (named "click: PREFIX"), with no think time unless `--mesop-think`
says so. Labels are what a person reads: a button's text or an image's alt text, so the user
class fits any Mesop app (`--mesop-path / --mesop-setup "" --mesop-click Count` drives
bench/counter_app.py). Each user speaks Mesop's protocol itself (bench/protocol.py): it keeps its
states as the browser does and sends them (or the state token) back on every click, so /base64's
users really upload their galleries.

Failures are named by kind: `ProtocolError` for an error reply or status, the socket's error
otherwise. Under a state session backend, a click that reaches a process that does not know the
user's token is sent again with the whole state, as Mesop's client does: it succeeds, and the
summary counts it (`state_resent`) with its bytes. `--mesop-affinity none` opens a new
connection per click, so any gunicorn worker may answer; `pinned` (the default) keeps one, as a
tab does. Where the app names the answering process in an `X-Served-By` header (this one does),
the summary counts clicks that reached another process than the user's previous click.

For a measured window (what `python -m bench.load` uses, on one process): `--mesop-seconds N`
holds every user until all of this process's users have done their set-up, lets them click for N
seconds, then stops the run; so Locust's "click" row holds only that window. `--mesop-summary
PATH` writes what Locust's tables lack: bytes up and down, state resends, the window's bounds.

In another Mesop app: copy this file and bench/protocol.py side by side into it (this file then
imports `protocol`), and point `--mesop-*` at its labels.
"""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qsl

import gevent
from gevent.event import Event
from locust import User, events, task
from locust.env import Environment

try:
    from bench.protocol import Clickable, ProtocolError, Reply, Session
except ModuleNotFoundError:  # `locust -f bench/locustfile.py`: Locust puts bench/ on sys.path
    from protocol import Clickable, ProtocolError, Reply, Session  # type: ignore[no-redef]


@events.init_command_line_parser.add_listener
def _options(parser: ArgumentParser) -> None:
    group = parser.add_argument_group("Mesop user (bench/locustfile.py)")
    group.add_argument("--mesop-path", default="/gcs", help="page each user opens")
    group.add_argument("--mesop-query", default="", help="its query string (gallery=ID)")
    group.add_argument(
        "--mesop-setup", default="Add sample images",
        help="labels clicked once after opening, separated by |; '' for none",
    )  # fmt: skip
    group.add_argument(
        "--mesop-click", default="Thumbnail", help="label prefix of the targets clicked in turn"
    )
    group.add_argument("--mesop-affinity", choices=("pinned", "none"), default="pinned")
    group.add_argument("--mesop-think", type=float, default=0.0, help="seconds between clicks")
    group.add_argument("--mesop-timeout", type=float, default=30.0, help="seconds per request")
    group.add_argument(
        "--mesop-seconds", type=float, default=0.0,
        help="measured window after every user's set-up; 0: Locust's -t decides",
    )  # fmt: skip
    group.add_argument(
        "--mesop-setup-timeout", type=float, default=90.0,
        help="longest wait for the other users' set-up (with --mesop-seconds)",
    )  # fmt: skip
    group.add_argument("--mesop-summary", default="", help="JSON file written at the end")


T = TypeVar("T")


class Tally:
    """This process's figures beyond Locust's: bytes, state resends, the window."""

    def __init__(self) -> None:
        self.ready = 0
        self.setup_failures = 0
        self.go = Event()
        self.window: list[float] = [0.0, 0.0]  # time.time() bounds of the measured window
        self.clicks = self.bytes_up = self.bytes_down = 0
        self.errors: Counter[str] = Counter()
        self.resent = 0  # clicks whose token was unknown where they landed: whole state resent
        self.switches = 0  # clicks answered by another process than the user's previous click
        self.processes: set[str] = set()
        self.setup_started = time.time()


TALLY = Tally()


class MesopUser(User):
    """One tab: open the page, set up, then click the chosen targets in turn."""

    def on_start(self) -> None:
        options = self.environment.parsed_options
        self.options = options
        self.targets: list[Clickable] = []
        self.n = 0
        self.served_by = ""
        self.session = Session(
            self.host or "",
            options.mesop_path,
            query=dict(parse_qsl(options.mesop_query)),
            timeout=options.mesop_timeout,
            pinned=options.mesop_affinity == "pinned",
        )
        try:
            self._request(f"open {options.mesop_path}", self.session.init)
            for label in [x for x in options.mesop_setup.split("|") if x]:
                self._request(f"setup: {label}", lambda label=label: self._setup_click(label))
            self.targets = self._request(f"setup: find {options.mesop_click}", self._targets)
        except Exception:  # already reported to Locust; this user sits out
            TALLY.setup_failures += 1
        finally:
            TALLY.ready += 1
            if options.mesop_seconds:
                self._maybe_start_window()
        if options.mesop_seconds:
            TALLY.go.wait(options.mesop_setup_timeout)
            self._maybe_start_window(force=True)

    def _setup_click(self, label: str) -> Reply:
        found = self.session.find(label)
        if not found:
            raise ProtocolError(f"no button or image labelled {label!r}")
        reply = self.session.click(found[0])
        self.session.refresh_tree()  # learn what the click rendered (new thumbnails)
        return reply

    def _targets(self) -> list[Clickable]:
        """The first and the last target by label: alternating them changes the page each time."""
        found = self.session.find(self.options.mesop_click)
        if not found:
            raise ProtocolError(f"nothing labelled {self.options.mesop_click!r}... to click")
        return [found[0], found[-1]] if len(found) > 1 else found

    def on_stop(self) -> None:
        self.session.close()

    @task
    def click(self) -> None:
        if not self.targets:
            gevent.sleep(1)  # its set-up failed: it sits out instead of spinning
            return
        end = TALLY.window[1]
        if end and time.time() >= end:
            gevent.sleep(0.1)
            return
        target = self.targets[self.n % len(self.targets)]
        self.n += 1
        reply = self._request(f"click: {self.options.mesop_click}",
                              lambda: self.session.click(target))  # fmt: skip
        if reply is not None and (not end or time.time() <= end):
            TALLY.clicks += 1
            TALLY.bytes_up += reply.bytes_up
            TALLY.bytes_down += reply.bytes_down
            TALLY.resent += reply.state_resent
        if self.options.mesop_think:
            gevent.sleep(self.options.mesop_think)

    def _request(self, name: str, call: Callable[[], T]) -> T | None:
        """Runs one step and tells Locust about it (its time, bytes down, failure); a failed click
        is reported, not raised; a failed set-up step is raised too, as the user cannot go on."""
        started = time.perf_counter()
        result: T | None = None
        failure: Exception | None = None
        try:
            result = call()
        except (ProtocolError, OSError) as error:
            failure = error
        reply = result if isinstance(result, Reply) else None
        served_by = reply.served_by if reply else getattr(failure, "served_by", "")
        if served_by and name.startswith("click"):
            TALLY.switches += bool(self.served_by) and served_by != self.served_by
            TALLY.processes.add(served_by)
            self.served_by = served_by
        if failure is not None:  # by kind and message (trimmed: ids and timings vary)
            TALLY.errors[f"{type(failure).__name__}: {str(failure)[:100]}"] += 1
        self.environment.events.request.fire(
            request_type="MESOP",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=reply.bytes_down if reply else 0,
            exception=failure,
            context={"bytes_up": reply.bytes_up if reply else 0},
        )
        if failure is not None and not name.startswith("click"):
            raise failure  # a set-up step that failed: the user cannot go on
        return result

    def _maybe_start_window(self, force: bool = False) -> None:
        """Opens the measured window once every user of this process is set up (or the wait is
        over), and schedules the end of the run."""
        runner = self.environment.runner
        if TALLY.go.is_set() or not (force or TALLY.ready >= runner.target_user_count):
            return
        seconds = self.options.mesop_seconds
        TALLY.window = [time.time(), time.time() + seconds]
        TALLY.go.set()
        gevent.spawn_later(seconds + 0.5, runner.quit)


@events.quitting.add_listener
def _summary(environment: Environment, **_: object) -> None:
    path = environment.parsed_options.mesop_summary if environment.parsed_options else ""
    if not path:
        return
    start, end = TALLY.window
    summary = {
        "users_ready": TALLY.ready - TALLY.setup_failures,
        "setup_failures": TALLY.setup_failures,
        "setup_seconds": round((start or time.time()) - TALLY.setup_started, 1),
        "window_seconds": round(end - start, 1) if start else None,
        "window": [start, end],  # time.time() bounds, for a harness sampling CPU meanwhile
        "clicks_in_window": TALLY.clicks,
        "bytes_up": TALLY.bytes_up,
        "bytes_down": TALLY.bytes_down,
        "errors": dict(TALLY.errors),
        "state_resent": TALLY.resent,
        "process_switches": TALLY.switches,
        "processes_answering": len(TALLY.processes),
    }
    Path(path).write_text(json.dumps(summary, indent=2) + "\n")
