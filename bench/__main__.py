"""One command for every benchmark: `python -m bench` (payload, load, report; soak on request).

    .venv/bin/python -m bench                        # the full run (17 min on 2 busy cores)
    .venv/bin/python -m bench --parts load report    # some parts only
    .venv/bin/python -m bench --parts soak           # the 10-minute soak (bench/soak.py)
    .venv/bin/python -m bench --smoke --results-dir /tmp/smoke   # tiny, for the test suite

`--smoke` runs every part at its smallest (one page, one size, two clicks; a 3-second load run
with 2 users; a 5-second soak with 3 users) so that the code cannot rot; its figures mean
nothing, and it never touches the committed results or the docs unless --results-dir says so.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from app.patterns import PATHS
from bench import load, payload, report, soak
from bench.results import RESULTS

PARTS = ("payload", "load", "report", "soak")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=["payload", "load", "report"])
    parser.add_argument("--smoke", action="store_true", help="every part at its smallest")
    parser.add_argument("--results-dir", type=Path, default=None)
    args = parser.parse_args()
    if args.smoke:
        args.parts = list(PARTS)
    results = args.results_dir or (Path(tempfile.mkdtemp(prefix="bench-smoke-")) if args.smoke
                                   else RESULTS)  # fmt: skip
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    started = time.monotonic()
    if "payload" in args.parts:
        if args.smoke:
            payload.run(["/gcs"], [1], 2, ["default", "floor", "frame"], scratch,
                        results / "payload.json")  # fmt: skip
        else:
            payload.run_isolated(list(PATHS), [1, 12, 48], 20,
                                 [*(v.name for v in payload.VARIANTS), "floor", "frame"],
                                 results / "payload.json")  # fmt: skip
        print(f"payload done at {time.monotonic() - started:.0f} s", flush=True)
    if "load" in args.parts:
        if args.smoke:
            load.run(["counter", "/gcs"], [2], [load.Config("gthread", 1)], 3, scratch,
                     out=results / "load.json")  # fmt: skip
        else:
            configs = [load.Config.parse(c) for c in load.DEFAULT_CONFIGS]
            load.run(list(load.PATTERNS), [10, 50, 100], configs, 15, scratch,
                     out=results / "load.json")  # fmt: skip
        print(f"load done at {time.monotonic() - started:.0f} s", flush=True)
    if "report" in args.parts:
        report.write(results, update_docs=results == RESULTS)
    if "soak" in args.parts:
        if args.smoke:
            soak.run(5 / 60, 3, 3, load.Config("gthread", 1), 1, results)
        else:
            soak.run(10, 50, 20, load.Config("gthread", 1), 5, results)
    print(f"bench: {', '.join(args.parts)} took {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
