"""Each visitor's share of what the app stores: images and bytes added per window of time.

Why: the stores have caps for everyone together (/memory evicts the least recently used gallery
past MEMORY_MAX_BYTES, /database the oldest images past DATABASE_MAX_BYTES). Without a share per
visitor, one client clicking "Add sample images" in a loop pushed every other visitor's /memory
gallery out. With it, a visitor adds at most GALLERY_VISITOR_IMAGES images and
GALLERY_VISITOR_BYTES bytes of display images per GALLERY_VISITOR_WINDOW_SECONDS (a token bucket:
the allowance refills steadily), so one visitor holds at most that share of a store; past it, the
refusal names the file and says when to try again.

A visitor is an IP address (an IPv6 /64, which one client usually has whole), taken from the
socket, or, behind GALLERY_TRUSTED_PROXIES proxies that each append to X-Forwarded-For (Cloud
Run's front end), from that header counted from its end: the entries before are the client's
own to forge. Loopback is exempt: locally there is only you (and the tests and benchmarks, which
add thousands of images). The table of visitors is bounded; the oldest entries go first.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import flask

from app.config import Settings, settings
from app.units import human_bytes

MAX_VISITORS = 10_000  # entries kept (about 100 bytes each); the least recently seen go first


@dataclass
class _Allowance:
    images: float
    bytes: float
    at: float


def visitor(limits: Settings = settings) -> str | None:
    """Who is asking, as a canonical address the server derived itself; None for loopback."""
    request = flask.request
    address = request.remote_addr or ""
    hops = limits.trusted_proxies
    if hops:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
        if len(forwarded) >= hops and forwarded[-hops]:
            address = forwarded[-hops]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"  # not an address: all such requests share one allowance
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class Shares:
    def __init__(self, images: int, nbytes: int, window_seconds: int) -> None:
        self.images, self.bytes, self.window = images, nbytes, window_seconds
        self._table: OrderedDict[str, _Allowance] = OrderedDict()
        self._lock = threading.Lock()

    def _current(self, who: str) -> _Allowance:
        now = time.monotonic()
        allowance = self._table.pop(who, None) or _Allowance(self.images, self.bytes, now)
        refill = (now - allowance.at) / self.window
        allowance.images = min(self.images, allowance.images + refill * self.images)
        allowance.bytes = min(self.bytes, allowance.bytes + refill * self.bytes)
        allowance.at = now
        self._table[who] = allowance
        while len(self._table) > MAX_VISITORS:
            self._table.popitem(last=False)
        return allowance

    def take(self, who: str | None, nbytes: int = 0) -> str:
        """Charge one image (and `nbytes`, if known yet); "" if allowed, else why not. An image
        is allowed while any bytes are left: its bytes may run the allowance into debt."""
        if who is None:
            return ""
        with self._lock:
            allowance = self._current(who)
            if allowance.images >= 1 and allowance.bytes > 0:
                allowance.images -= 1
                allowance.bytes -= nbytes
                return ""
            short = max((1 - allowance.images) / self.images, (1 - allowance.bytes) / self.bytes)
        minutes = max(1, math.ceil(short * self.window / 60))
        return (
            f"you have added {self.images} images or {human_bytes(self.bytes)} in the last "
            f"{self.window / 60:.0f} minutes, this server's share per visitor. Try again in "
            f"{minutes} minute{'s' if minutes > 1 else ''}"
        )

    def charge(self, who: str | None, nbytes: int) -> None:
        """The bytes of an image taken before its size was known (an upload, once processed)."""
        if who is not None:
            with self._lock:
                self._current(who).bytes -= nbytes


shares = Shares(settings.visitor_images, settings.visitor_bytes, settings.visitor_window_seconds)
