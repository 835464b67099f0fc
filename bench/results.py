"""Where the benchmarks write, and the few helpers every benchmark's result shares."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

from tests.harness import ROOT

RESULTS = ROOT / "bench" / "results"


def machine() -> dict:
    """What the figures were measured on: they mean little without it."""
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
        # Other work on the machine slows the server and the load generator alike: say how much.
        "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))], 1)


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"wrote {shown}", flush=True)


def finish(meta: dict, rows: list[dict], out: Path | None) -> dict:
    """A benchmark's result: how it was measured (with the machine), its rows; written to `out`."""
    result = {"meta": {**machine(), **meta}, "rows": rows}
    if out is not None:
        write_json(out, result)
    return result
