"""What a list in state costs Mesop per request, by its length and by what it holds.

For each length and kind of list, times what Mesop does with a state on every event (parse it
into the state object and into the "previous" copy, then diff the two with DeepDiff, as
`mesop.server` does), in this process, with Mesop's own functions; and the time the app's shape
check (app/state_shape.py) takes to refuse the same state. Writes bench/results/state_shape.json
and the table in docs/performance.md ("State shape, not only state size").

    .venv/bin/python -m bench.state_shape            # lengths up to 8,000 (about a minute)
    .venv/bin/python -m bench.state_shape --smoke --out /tmp/shape.json   # for the test suite
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path

from mesop.dataclass_utils.dataclass_utils import diff_state, update_dataclass_from_json

from app.patterns import PATTERNS
from app.state_shape import Misshapen, Shapes
from bench.report import replace_block
from bench.results import RESULTS

PERFORMANCE = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
LENGTHS = (500, 1000, 2000, 4000, 8000)


@dataclasses.dataclass
class ListInState:
    """A state with one list, like the gallery status's notices before they became one string."""

    items: list = dataclasses.field(default_factory=list)


KINDS: dict[str, Callable[[int], list]] = {
    "identical strings": lambda n: ["Refused x.jpg: not a readable image"] * n,
    "distinct strings": lambda n: [f"Refused {i}.jpg: not a readable image" for i in range(n)],
    "identical objects": lambda n: [{"key": "k"}] * n,
}


def mesop_seconds(data: str) -> float:
    """Mesop's work on one event's state: parse twice, then diff (nothing changed)."""
    started = time.perf_counter()
    state, previous = ListInState(), ListInState()
    update_dataclass_from_json(state, data)
    update_dataclass_from_json(previous, data)
    diff_state(previous, state)
    return time.perf_counter() - started


def check_seconds(shapes: Shapes, data: str) -> float:
    started = time.perf_counter()
    with contextlib.suppress(Misshapen):
        shapes.check([data])
    return time.perf_counter() - started


def run(lengths: tuple[int, ...]) -> dict:
    shapes = Shapes([p.state for p in PATTERNS])
    rows = []
    for kind, make in KINDS.items():
        for n in lengths:
            # The app's /base64 state with the list where its images go: what a client could send.
            data = json.dumps({"items": make(n)})
            attack = json.dumps({"images": make(n)})
            rows.append({
                "kind": kind,
                "items": n,
                "state_bytes": len(data),
                "mesop_ms": round(mesop_seconds(data) * 1000, 1),
                "check_ms": round(check_seconds(shapes, attack) * 1000, 2),
            })  # fmt: skip
            print(rows[-1], flush=True)
    meta = {"python": platform.python_version(), "machine": platform.machine()}
    return {"meta": meta, "rows": rows}


def table(results: dict) -> str:
    """The docs' table: one row per length, Mesop's milliseconds per kind, and the check's."""
    rows = results["rows"]
    kinds = list(dict.fromkeys(r["kind"] for r in rows))
    lines = [
        "| items in the list | " + " | ".join(f"Mesop, {k}" for k in kinds) + " | shape check |",
        "| ---: | " + " | ".join("---:" for _ in kinds) + " | ---: |",
    ]
    for n in sorted({r["items"] for r in rows}):
        at = {r["kind"]: r for r in rows if r["items"] == n}
        cells = [f"{at[k]['mesop_ms']:,.0f} ms ({at[k]['state_bytes'] / 1000:,.0f} kB)"
                 for k in kinds]  # fmt: skip
        slowest = max(at[k]["check_ms"] for k in kinds)
        lines.append(f"| {n:,} | " + " | ".join(cells) + f" | {slowest:.1f} ms |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="two short lengths, no docs update")
    parser.add_argument("--out", type=Path, default=RESULTS / "state_shape.json")
    args = parser.parse_args()
    results = run((50, 100) if args.smoke else LENGTHS)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    if not args.smoke:
        doc = PERFORMANCE.read_text()
        PERFORMANCE.write_text(replace_block(doc, "state_shape", table(results)))
    print(table(results))


if __name__ == "__main__":
    main()
