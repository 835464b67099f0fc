"""One command for every benchmark: `python -m bench` (payload, backends, load, networks,
report; soak on request).

    .venv/bin/python -m bench                        # the full run (about 37 min on 2 cores)
    .venv/bin/python -m bench --parts load report    # some parts only
    .venv/bin/python -m bench --parts soak           # the 10-minute soak (bench/soak.py)
    .venv/bin/python -m bench --smoke --results-dir /tmp/smoke   # tiny, for the test suite

`--smoke` runs every part at its smallest (one page, one size, two clicks; the memory backend on
/gcs with 2 users for 2 seconds; a 3-second load run with 2 users; one /gcs click at 1 image on
one network; a 5-second soak with 3 users) so that the code cannot rot; its figures mean nothing,
and it never touches the committed results or the docs unless --results-dir says so.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from app.patterns import PATHS
from bench import backends, load, networks, payload, report, soak
from bench.results import RESULTS

PARTS = ("payload", "backends", "load", "networks", "report", "soak")
DEFAULT_PARTS = [p for p in PARTS if p != "soak"]


def run_networks(smoke: bool, results: Path) -> None:
    """bench/networks.py: every page, size and profile; smoke: one /gcs click at 1 image on the
    first profile."""
    profiles = [p["name"] for p in networks.meter_profiles()]
    if smoke:
        networks.run(["/gcs"], [1], profiles[:1], clicks=1, out=results / "networks.json")
    else:
        networks.run(list(PATHS), list(networks.SIZES), profiles, out=results / "networks.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=DEFAULT_PARTS)
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
    if "backends" in args.parts:
        out = results / "backends.json"
        if args.smoke:
            backends.run(["memory"], ["/gcs"], [12], 2, 2, 2, out=out)
        else:
            backends.run(
                list(backends.BACKENDS), list(backends.PAGES), [12, 48], 10, 20, 8, out=out
            )
        print(f"backends done at {time.monotonic() - started:.0f} s", flush=True)
    if "load" in args.parts:
        if args.smoke:
            load.run(["counter", "/gcs"], [2], [load.Config("gthread", 1)], 3, scratch,
                     out=results / "load.json")  # fmt: skip
        else:
            configs = [load.Config.parse(c) for c in load.DEFAULT_CONFIGS]
            load.run(list(load.PATTERNS), [10, 50, 100], configs, 15, scratch,
                     out=results / "load.json")  # fmt: skip
        print(f"load done at {time.monotonic() - started:.0f} s", flush=True)
    if "networks" in args.parts:
        run_networks(args.smoke, results)
        print(f"networks done at {time.monotonic() - started:.0f} s", flush=True)
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
