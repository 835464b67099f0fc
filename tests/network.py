"""Chrome's own network emulation with the payload meter's profiles (app/meter/profiles.json),
shared by the meter's test and bench/networks.py: one reading of the profiles' units."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

OFF = {"latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


def bytes_per_second(kbps: float) -> float:
    """profiles.json's kbps are of 1,024 bits per second (Lighthouse's and WebPageTest's unit)."""
    return kbps * 1024 / 8


def conditions(profile: dict[str, Any] | None) -> dict[str, float]:
    """CDP Network.emulateNetworkConditions' figures for a profile (None: no emulation). The
    latency is added once per request, between sending it and its answer's headers."""
    if profile is None:
        return dict(OFF)
    return {
        "latency": profile["rtt_ms"],
        "downloadThroughput": bytes_per_second(profile["down_kbps"]),
        "uploadThroughput": bytes_per_second(profile["up_kbps"]),
    }


def throttle(page: Page, profile: dict[str, Any] | None) -> None:
    """Emulate `profile`'s network for this page only (None: off); the emulation is per page."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.emulateNetworkConditions", {"offline": False, **conditions(profile)})
