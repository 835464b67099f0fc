"""What one interaction moves over /__ui__, as the browser counts it (request.sizes())."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Page, Request

from app import serving


@dataclass(frozen=True)
class Traffic:
    up: int  # request body bytes sent to /__ui__
    down: int  # response body bytes received from /__ui__ (the server-sent event stream)
    ms: float = 0.0  # from sending the request to the end of the response, as the browser saw it


def is_ui(request: Request) -> bool:
    return request.url.split("?")[0].endswith("/__ui__")


def ui_traffic(page: Page, action: Callable[[], object], timeout: float = 120_000) -> Traffic:
    """Run `action` (a click, an upload) and return the bytes of the /__ui__ request it causes.

    The request is matched when it *starts*, so a stream still finishing from an earlier click
    (Mesop's generator handlers keep theirs open for a moment) is never mistaken for this one.
    """
    ended: list[Request] = []  # finished or failed; waited for with a bound, never forever

    def end(request: Request) -> None:
        ended.append(request)

    page.on("requestfinished", end)
    page.on("requestfailed", end)
    try:
        with page.expect_request(is_ui, timeout=timeout) as started:
            action()
        request = started.value
        deadline = time.monotonic() + timeout / 1000
        while request not in ended and time.monotonic() < deadline:
            page.wait_for_timeout(20)  # lets Playwright deliver its events
    finally:
        page.remove_listener("requestfinished", end)
        page.remove_listener("requestfailed", end)
    assert request in ended, f"the /__ui__ request did not end within {timeout / 1000:.0f} s"
    return measured(request)


def measured(request: Request) -> Traffic:
    """The bytes and time of a /__ui__ request that has ended."""
    # Mesop's client aborts the request itself as soon as it reads its end-of-stream marker; when
    # the server's closing chunk comes a moment later (threaded workers, a loaded machine), the
    # browser reports the request as aborted, its body complete. Any other failure is one.
    aborted_by_mesop = request.failure == "net::ERR_ABORTED" and request.response() is not None
    assert request.failure is None or aborted_by_mesop, (
        f"the /__ui__ request failed: {request.failure}"
    )
    sizes = request.sizes()
    elapsed = request.timing["responseEnd"] - max(0.0, request.timing["requestStart"])
    return Traffic(up=sizes["requestBodySize"], down=sizes["responseBodySize"], ms=elapsed)


class UiLog:
    """The /__ui__ requests a page starts, measured when asked: for clicks in several pages at
    once, which ui_traffic (one action, waited for there and then) cannot follow."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.started: list[Request] = []
        self.ended: set[Request] = set()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, request: Request) -> None:
        if is_ui(request):
            self.started.append(request)

    def _ended(self, request: Request) -> None:
        if is_ui(request):
            self.ended.add(request)

    def take(self, timeout: float = 120_000) -> Traffic:
        """The bytes of the requests started since the last take, summed, once all have ended
        (waiting up to `timeout` ms); forgets them. Its `ms` is the longest one's."""
        taken, self.started = self.started, []
        deadline = time.monotonic() + timeout / 1000
        while any(r not in self.ended for r in taken) and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)  # lets Playwright deliver its events
        assert all(r in self.ended for r in taken), "a /__ui__ request did not end in time"
        each = [measured(r) for r in taken]
        return Traffic(sum(t.up for t in each), sum(t.down for t in each),
                       max((t.ms for t in each), default=0.0))  # fmt: skip


def answered_by(page: Page, action: Callable[[], object]) -> int:
    """Run `action` and return the process that answered its /__ui__ request (X-Served-By)."""
    with page.expect_response(lambda response: is_ui(response.request)) as reply:
        action()
    return int(reply.value.headers[serving.HEADER.lower()])


class MediaLog:
    """Images the browser fetches outside /__ui__ (from storage), with the bytes it received.

    Requests are only noted when they finish, and measured in take(): a blocking Playwright call
    inside an event handler can stall the event loop on a loaded machine (seen once as a hung
    test). Data URLs cost nothing on the wire: they arrived inside a /__ui__ reply.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[Request] = []
        page.on("requestfinished", self._finished)

    def _finished(self, request: Request) -> None:
        if request.resource_type == "image" and not request.url.startswith("data:"):
            self.requests.append(request)

    def take(self, since: float = 0.0) -> list[tuple[str, int]]:
        """(url, bytes) of the images noted so far and started at or after `since` (the browser's
        wall clock, ms); forgets them all. A cache hit costs 0 (Chromium may report a negative
        body size for it)."""
        taken, self.requests = self.requests, []
        return [
            (r.url, max(0, r.sizes()["responseBodySize"]))
            for r in taken
            if r.timing["startTime"] >= since
        ]

    def stop(self) -> None:
        self.page.remove_listener("requestfinished", self._finished)
