"""What one interaction moves over /__ui__, as the browser counts it (request.sizes())."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Page, Request


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
    with page.expect_request(is_ui, timeout=timeout) as started:
        action()
    request = started.value
    response = request.response()
    assert response is not None, "the /__ui__ request got no response"
    response.finished()
    sizes = request.sizes()
    elapsed = request.timing["responseEnd"] - max(0.0, request.timing["requestStart"])
    return Traffic(up=sizes["requestBodySize"], down=sizes["responseBodySize"], ms=elapsed)
