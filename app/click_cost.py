"""A select click's server CPU, decomposed: Mesop's floor, the app's state, the page's frame and
the pattern, from the payload benchmark's rows (bench/payload.py; schema: bench/README.md).

Read by the benchmark's report (bench/report.py, "The cost of a click, decomposed") and by each
gallery page's recorded figures (app/layout.py), so that both say the same thing from the same
measurements. Each part is a difference of two medians of the serving thread's CPU time, measured
in one run: the counter (the floor), the counter inside the app (plus the app's state classes,
decoded, diffed and encoded on every request, and its middlewares), the counter inside the page's
frame (plus navigation, title, meter, explanation, footer), the page's select click (plus the
gallery). A part can come out slightly negative when it is smaller than the medians' noise.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

CPU = "select_server_cpu_ms_median"


@dataclass(frozen=True)
class ClickCost:
    path: str
    images: int
    floor_ms: float  # the counter's click (bench/counter_app.py)
    state_ms: float  # the counter inside the app, minus the floor
    frame_ms: float  # the counter inside the page's frame, minus the counter inside the app
    pattern_ms: float  # the page's select click, minus its frame
    total_ms: float  # the page's select click
    floor_components: int  # one render of each, after its click
    frame_components: int
    components: int

    @property
    def times_floor(self) -> float:
        return round(self.total_ms / self.floor_ms, 2)

    @property
    def us_per_component(self) -> float | None:
        """What one component costs per render, from the frame: its components beyond the
        counter's, each built twice per click, and nothing else that differs (no storage)."""
        extra = self.frame_components - self.floor_components
        if extra <= 0 or self.frame_ms <= 0:  # no component more, or lost in the noise
            return None
        return round(self.frame_ms * 1000 / (2 * extra))


def _row(rows: Iterable[dict[str, Any]], path: str, variant: str) -> list[dict[str, Any]]:
    return [
        r
        for r in rows
        if r.get("path") == path
        and r.get("variant", "default") == variant
        and isinstance(r.get(CPU), (int, float))
        and isinstance(r.get("components"), int)
    ]


def decompose(rows: Iterable[dict[str, Any]], path: str) -> ClickCost | None:
    """The page's select at its largest measured gallery, decomposed; None when the rows lack a
    part (results from before the benchmark measured the frame)."""
    rows = list(rows)
    pages, floors = _row(rows, path, "default"), _row(rows, "/counter", "floor")
    in_app, frames = _row(rows, "/counter", "in-app"), _row(rows, path, "frame")
    if not (pages and floors and in_app and frames):
        return None
    page = max(pages, key=lambda r: r["images"])
    floor, bare, framed = floors[0][CPU], in_app[0][CPU], frames[0][CPU]
    return ClickCost(
        path=path,
        images=page["images"],
        floor_ms=floor,
        state_ms=round(bare - floor, 2),
        frame_ms=round(framed - bare, 2),
        pattern_ms=round(page[CPU] - framed, 2),
        total_ms=page[CPU],
        floor_components=floors[0]["components"],
        frame_components=frames[0]["components"],
        components=page["components"],
    )
