"""Sizes as Chrome's DevTools prints them, so a figure on a page, in a message or in the docs
reads the same as the Network panel beside it: 1 kB = 1,000 B, 1 MB = 1,000,000 B; one decimal
below 100 of a unit, none above ("912 B", "36.7 kB", "367 kB", "4.9 MB"). The payload meter
(app/meter/meter.js) prints with the same rules."""

from __future__ import annotations


def human_bytes(n: float) -> str:
    if n < 1000:
        return f"{n:.0f} B"
    for unit in ("kB", "MB", "GB"):
        n /= 1000
        if n < 100:
            return f"{n:.1f} {unit}"
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}"
    raise AssertionError("unreachable")
