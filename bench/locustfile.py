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
holds every user until all of this process's users have done their set-up (a user ready only
after `--mesop-setup-timeout` sits out), lets them start clicks for N seconds, then stops the run
once the last click is answered; so Locust's "click" row holds only that window's clicks.
`--mesop-summary PATH` writes what Locust's tables lack: bytes up and down, state resends, the
processes that answered, the window's bounds.

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
from locust.runners import Runner

try:
    from bench.protocol import Clickable, ProtocolError, Reply, Session
except ModuleNotFoundError:  # `locust -f bench/locustfile.py`: Locust puts bench/ on sys.path
    from protocol import Clickable, ProtocolError, Reply, Session  # type: ignore[no-redef]


@events.init_command_line_parser.add_listener
def _options(parser: ArgumentParser) -> None:
    """The user's options (on Locust's own parser, so the web UI shows them too)."""
    parser.add_argument("--mesop-path", default="/gcs", help="page each user opens")
    parser.add_argument("--mesop-query", default="", help="its query string (gallery=ID)")
    parser.add_argument(
        "--mesop-setup", default="Add sample images",
        help="labels clicked once after opening, separated by |; '' for none",
    )  # fmt: skip
    parser.add_argument(
        "--mesop-click", default="Thumbnail", help="label prefix of the targets clicked in turn"
    )
    parser.add_argument("--mesop-affinity", choices=("pinned", "none"), default="pinned")
    parser.add_argument("--mesop-think", type=float, default=0.0, help="seconds between clicks")
    parser.add_argument("--mesop-timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument(
        "--mesop-seconds", type=float, default=0.0,
        help="measured window after every user's set-up (one process only); 0: Locust's -t",
    )  # fmt: skip
    parser.add_argument(
        "--mesop-setup-timeout", type=float, default=90.0,
        help="longest wait for the other users' set-up (with --mesop-seconds)",
    )  # fmt: skip
    parser.add_argument("--mesop-summary", default="", help="JSON file written at the end")


@events.init.add_listener
def _check(environment: Environment, **_: object) -> None:
    """Refuses, in one line, what cannot work: no host, or a process-wide window spread over
    several processes (each would open and close its own)."""
    options = environment.parsed_options
    if options is None:
        return
    if not (options.host or getattr(environment, "host", None)) and not options.worker:
        raise SystemExit("bench/locustfile.py needs --host URL (the Mesop app to load-test)")
    if not options.mesop_click:
        raise SystemExit("--mesop-click needs a label prefix (an empty one matches every button)")
    if (options.master or options.worker) and (options.mesop_seconds or options.mesop_summary):
        raise SystemExit("--mesop-seconds and --mesop-summary measure one process: leave them "
                         "out with --master/--worker (use Locust's -t and --csv)")  # fmt: skip


T = TypeVar("T")


class Tally:
    """This process's figures beyond Locust's: bytes, state resends, the window."""

    def __init__(self) -> None:
        self.ready = 0
        self.setup_failures = 0
        self.setup_errors: Counter[str] = Counter()
        self.go = Event()
        self.window: list[float] = [0.0, 0.0]  # time.time() bounds of the measured window
        self.in_flight = 0  # clicks started and not yet answered
        self.last_done = 0.0  # time.time() when the window's last click was answered
        self.clicks = self.bytes_up = self.bytes_down = 0
        self.errors: Counter[str] = Counter()  # failed clicks of the window, by kind and message
        self.resent = 0  # clicks whose token was unknown where they landed: whole state resent
        self.switches = 0  # clicks that reached another process than the user's previous click
        self.processes: set[str] = set()
        self.setup_started = time.time()


TALLY = Tally()


@events.test_start.add_listener
def _reset(**_: object) -> None:
    """A fresh tally per run (the web UI can start several in one process)."""
    global TALLY
    TALLY = Tally()


def _kind(error: Exception) -> str:
    return f"{type(error).__name__}: {str(error)[:100]}"  # trimmed: ids and timings vary


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
        except Exception as error:  # already reported to Locust; this user sits out
            TALLY.setup_failures += 1
            TALLY.setup_errors[_kind(error)] += 1
        finally:
            TALLY.ready += 1
        if options.mesop_seconds:
            if TALLY.go.is_set():
                self.targets = []  # set up after the window opened: it does not take part
                return
            self._maybe_start_window()
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
        session = getattr(self, "session", None)
        if session is not None:
            session.close()

    @task
    def click(self) -> None:
        if not self.targets:
            gevent.sleep(1)  # its set-up failed: it sits out instead of spinning
            return
        end = TALLY.window[1]
        if end and time.time() >= end:  # the window is over: no new click
            gevent.sleep(0.1)
            return
        target = self.targets[self.n % len(self.targets)]
        self.n += 1
        tally = TALLY  # the run this click started in
        tally.in_flight += 1
        try:
            reply = self._request(f"click: {self.options.mesop_click}",
                                  lambda: self.session.click(target))  # fmt: skip
        finally:
            tally.in_flight -= 1
        if reply is not None:  # a click started in the window counts, however late it ends
            tally.last_done = time.time()
            tally.clicks += 1
            tally.bytes_up += reply.bytes_up
            tally.bytes_down += reply.bytes_down
            tally.resent += reply.state_resent
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
        except Exception as error:  # any failure is the server's answer or the network's
            failure = error
        reply = result if isinstance(result, Reply) else None
        is_click = name.startswith("click: ")
        if is_click:
            first = reply.missed_by if reply else ""
            for process in (first, reply.served_by if reply else getattr(failure, "served_by", "")):
                if process:
                    TALLY.switches += bool(self.served_by) and process != self.served_by
                    TALLY.processes.add(process)
                    self.served_by = process
            if failure is not None:
                TALLY.errors[_kind(failure)] += 1
        self.environment.events.request.fire(
            request_type="MESOP",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=reply.bytes_down if reply else 0,
            exception=failure,
            context={"bytes_up": reply.bytes_up if reply else 0},
        )
        if failure is not None and not is_click:
            raise failure  # a set-up step that failed: the user cannot go on
        return result

    def _maybe_start_window(self, force: bool = False) -> None:
        """Opens the measured window once every user of this process is set up (or the wait is
        over), and ends the run once the window is over and its last click answered."""
        runner = self.environment.runner
        if TALLY.go.is_set() or not (force or TALLY.ready >= runner.target_user_count):
            return
        seconds = self.options.mesop_seconds
        TALLY.window = [time.time(), time.time() + seconds]
        TALLY.go.set()
        gevent.spawn(_end_run, runner, TALLY, seconds, self.options.mesop_timeout)


def _end_run(runner: Runner, tally: Tally, seconds: float, timeout: float) -> None:
    gevent.sleep(seconds)
    deadline = time.time() + timeout
    while tally.in_flight and time.time() < deadline:
        gevent.sleep(0.05)
    runner.quit()


@events.quitting.add_listener
def _summary(environment: Environment, **_: object) -> None:
    path = environment.parsed_options.mesop_summary if environment.parsed_options else ""
    if not path:
        return
    start, end = TALLY.window
    end = min(end, time.time())  # a run cut short (Locust's -t) has a shorter window
    summary = {
        "users_ready": TALLY.ready - TALLY.setup_failures,
        "setup_failures": TALLY.setup_failures,
        "setup_errors": dict(TALLY.setup_errors),
        "setup_seconds": round((start or time.time()) - TALLY.setup_started, 1),
        "window_seconds": round(end - start, 1) if start else None,
        "window": [start, end],  # time.time() bounds, for a harness sampling CPU meanwhile
        "clicks_in_window": TALLY.clicks,  # started in the window and answered
        # From the window's start to its last click's answer: clicks / this is the rate, also
        # when a click takes seconds (counting only clicks answered in the window would miss the
        # last ones, counting them over the window alone would count the first ones twice).
        "clicks_seconds": round(max(TALLY.last_done, end) - start, 2) if start else None,
        "bytes_up": TALLY.bytes_up,
        "bytes_down": TALLY.bytes_down,
        "errors": dict(TALLY.errors),
        "state_resent": TALLY.resent,
        "process_switches": TALLY.switches,
        "processes_answering": len(TALLY.processes),
    }
    Path(path).write_text(json.dumps(summary, indent=2) + "\n")
