"""What one interaction moves over /__ui__, as the browser counts it (request.sizes())."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Page, Request


@dataclass(frozen=True)
class Traffic:
    up: int  # request body bytes sent to /__ui__
    down: int  # response body bytes received from /__ui__ (the server-sent event stream)


def is_ui(request: Request) -> bool:
    return request.url.split("?")[0].endswith("/__ui__")


def ui_traffic(page: Page, action: Callable[[], object], timeout: float = 120_000) -> Traffic:
    """Run `action` (a click, an upload) and return the bytes of the /__ui__ request it causes."""
    with page.expect_request_finished(is_ui, timeout=timeout) as finished:
        action()
    sizes = finished.value.sizes()
    return Traffic(up=sizes["requestBodySize"], down=sizes["responseBodySize"])
