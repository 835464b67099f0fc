"""Mesop's state session backends, measured: what a click costs under each, and what survives
several workers.

`MESOP_STATE_SESSION_BACKEND` keeps each session's state on the server (in memory, in files, in
SQL) so that the browser sends a token instead of the state; the state still comes down after
every event. This measures, for /base64 (the page whose state is heavy) and /gcs (whose state is
small), under every backend that runs here (`none`, `memory`, `file`, `sql` on SQLite and on
PostgreSQL, which the harness starts from Debian's binaries; `firestore` needs Google Cloud and is
described from Mesop's source in docs/performance.md):

- payload: one user's select clicks at 12 and 48 images, through bench/protocol.py (the browser's
  requests, without its viewport and theme fields): bytes up and down, and the server's thread CPU
  per click (app/timing.py);
- load: Locust users (bench/locustfile.py) on 1 worker, and on 2 workers with and without affinity
  (a user's clicks on one kept connection, so one worker; or a new connection per click, so
  either): clicks per second, p50/p95, errors, clicks whose state token was unknown where they
  landed (Mesop's client then resends the whole state: nothing is lost, bytes are spent), clicks
  that reached another worker than the user's previous click, and the server's memory.

    .venv/bin/python -m bench.backends                    # everything, 7 to 9 minutes
    .venv/bin/python -m bench.backends --backends none memory --users 10 --seconds 5
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from app.units import human_bytes
from bench.load import THREADS, Config, run_cell
from bench.protocol import Reply, Session
from bench.results import RESULTS, finish, percentile
from tests import postgres, timing_log
from tests.gallery_page import SAMPLES_PER_CLICK
from tests.harness import serve

BACKENDS = ("none", "memory", "file", "sql-sqlite", "sql-postgresql")
PAGES = ("/base64", "/gcs")
# (workers, affinity): one worker needs no affinity; two show what affinity is for.
LAYOUTS = ((1, "pinned"), (2, "pinned"), (2, "none"))


@contextlib.contextmanager
def backend_env(backend: str, scratch: Path) -> Iterator[dict[str, str]]:
    """The environment that selects `backend`; for PostgreSQL, a throwaway cluster meanwhile."""
    name, _, store = backend.partition("-")
    env = {"MESOP_STATE_SESSION_BACKEND": name}
    if name == "file":
        (scratch / "state-files").mkdir(exist_ok=True)
        env["MESOP_STATE_SESSION_BACKEND_FILE_BASE_DIR"] = str(scratch / "state-files")
    uri_key = "MESOP_STATE_SESSION_BACKEND_SQL_CONNECTION_URI"
    if store == "sqlite":
        env[uri_key] = f"sqlite:///{scratch / 'state.sqlite3'}"
    if store == "postgresql":
        binaries = postgres.server_binaries()
        if binaries is None:
            raise SystemExit("PostgreSQL's binaries are not installed (apt-get install postgresql)")
        with postgres.cluster(binaries) as cluster:
            yield {**env, uri_key: postgres.prepared_as_the_docs_say(cluster)}
        return
    yield env


def payload(url: str, page: str, sizes: list[int], clicks: int, log: Path) -> list[dict]:
    """One user's select clicks at each gallery size: bytes per click, server CPU per click."""
    rows = []
    session = Session(url, page)
    try:
        session.init()
        images = 0
        for size in sizes:
            while images < size:
                session.click(session.find("Add sample images")[0])
                images += SAMPLES_PER_CLICK
            session.refresh_tree()
            thumbs = session.find("Thumbnail")
            targets = [thumbs[0], thumbs[-1]]
            up, down, cpu = [], [], []
            for n in range(clicks):
                replies: list[Reply] = []
                target = targets[n % 2]
                record = timing_log.timed(
                    log, lambda t=target, r=replies: r.append(session.click(t)), timeout=10
                )
                up.append(replies[0].bytes_up)
                down.append(replies[0].bytes_down)
                cpu.append(record["cpu_ms"])
            rows.append({
                "page": page,
                "images": size,
                "select_up": up[0],  # the first thumbnail, as payload.json's rows
                "select_down": down[0],
                "select_server_cpu_ms_median": round(statistics.median(cpu), 2),
                "select_server_cpu_ms_p95": percentile(cpu, 0.95),
            })  # fmt: skip
    finally:
        session.close()
    return rows


def run(
    backends: list[str],
    pages: list[str],
    sizes: list[int],
    clicks: int,
    users: int,
    seconds: float,
    layouts: tuple[tuple[int, str], ...] = LAYOUTS,
    out: Path | None = RESULTS / "backends.json",
) -> dict:
    payload_rows, load_rows = [], []
    for backend in backends:
        scratch = Path(tempfile.mkdtemp(prefix=f"bench-backend-{backend}-"))
        with backend_env(backend, scratch) as env:
            for workers in sorted({w for w, _ in layouts}):
                log = scratch / f"timing-{workers}.jsonl"
                config = Config("gthread", workers)
                server_env = {**env, "GALLERY_TIMING_LOG": str(log),
                              "GCS_EMULATOR_DATA_DIR": str(scratch / f"gcs-{workers}")}  # fmt: skip
                args = config.gunicorn_args()
                with serve("gunicorn", env=server_env, workers=workers, gunicorn_args=args,
                           log_dir=scratch) as server:  # fmt: skip
                    if workers == 1:
                        for page in pages:
                            for row in payload(server.url, page, sizes, clicks, log):
                                payload_rows.append({"backend": backend, **row})
                                print_payload(payload_rows[-1])
                    for page in pages:
                        for affinity in [a for w, a in layouts if w == workers]:
                            row = run_cell(server, page, users, seconds, scratch, affinity)
                            load_rows.append({"backend": backend, "workers": workers, **row})
                            print_load(load_rows[-1])
    meta = {
        "server": f"gunicorn on loopback, gthread with {THREADS} threads per worker, "
        "one server per backend and worker count (payload on the 1-worker server, first)",
        "payload": "bench/protocol.py, one user, select clicks alternating the first and last "
        "thumbnail; bytes of the request and reply bodies; server thread CPU from app/timing.py",
        "load": "Locust (bench/locustfile.py, headless, one process): closed loop, no think "
        "time; /base64 users each add 12 samples, /gcs users share one gallery by its link",
        "clicks_per_case": clicks,
        "users": users,
        "seconds_per_cell": seconds,
        "firestore": "not run: it needs Google Cloud (see docs/performance.md)",
    }
    rows = [{"kind": "payload", **r} for r in payload_rows]
    return finish(meta, rows + [{"kind": "load", **r} for r in load_rows], out)


def print_payload(row: dict) -> None:
    print(f"backends payload {row['backend']:15} {row['page']:8} {row['images']:3} images: "
          f"{row['select_up']:>10,} B up {row['select_down']:>9,} B down, server CPU "
          f"{row['select_server_cpu_ms_median']} ms", flush=True)  # fmt: skip


def print_load(row: dict) -> None:
    print(f"backends load {row['backend']:15} {row['pattern']:8} {row['workers']}w "
          f"{row['affinity']:6} {row['throughput_rps']:7.1f} clicks/s p50 {row['latency_ms_p50']} "
          f"p95 {row['latency_ms_p95']} errors {row['errors']} resent {row['state_resent']} "
          f"switches {row['process_switches']}", flush=True)  # fmt: skip


def _find(rows: list[dict], **match: object) -> dict | None:
    return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), None)


def section(result: dict) -> str:
    """docs/performance.md's generated part of "Choosing a state backend": one line per backend,
    then every row."""
    rows = result.get("rows", [])
    pay = [r for r in rows if r["kind"] == "payload"]
    load = [r for r in rows if r["kind"] == "load"]
    if not rows:
        return "(no backends.json yet: `python -m bench.backends`)"
    size = max(r["images"] for r in pay)
    lines = [
        f"| backend | /base64 select at {size} images: up / down | its server CPU | /gcs select at "
        f"{size}: up / its server CPU | /base64 clicks/s: 1 worker, 2 workers | 2 workers, no "
        "affinity: /base64 clicks/s, clicks that resent the whole state | errors (all cells) "
        "| server memory after /base64 on 2 workers without affinity |",
        "| --- | --- | ---: | --- | --- | --- | ---: | ---: |",
    ]
    for backend in dict.fromkeys(r["backend"] for r in rows):
        b64 = _find(pay, backend=backend, page="/base64", images=size) or {}
        gcs = _find(pay, backend=backend, page="/gcs", images=size) or {}
        one = _find(load, backend=backend, pattern="/base64", workers=1) or {}
        two = _find(load, backend=backend, pattern="/base64", workers=2, affinity="pinned") or {}
        free = _find(load, backend=backend, pattern="/base64", workers=2, affinity="none") or {}
        errors = sum(r["errors"] for r in load if r["backend"] == backend)
        resent = f"{free.get('state_resent', 0)} of {free.get('clicks', 0)}" if free else "n/a"
        lines.append(
            f"| `{backend}` | {_bytes(b64.get('select_up'))} / {_bytes(b64.get('select_down'))} "
            f"| {b64.get('select_server_cpu_ms_median')} ms | {_bytes(gcs.get('select_up'))} / "
            f"{gcs.get('select_server_cpu_ms_median')} ms | {one.get('throughput_rps')}, "
            f"{two.get('throughput_rps')} | {free.get('throughput_rps')}, {resent} | {errors} | "
            f"{free.get('server_rss_mb_after', 'n/a')} MiB |"
        )
    lines += ["", "| backend | page | images | bytes up | bytes down | server CPU ms (median / "
              "p95) |", "| --- | --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for r in pay:
        lines.append(
            f"| `{r['backend']}` | {r['page']} | {r['images']} | {r['select_up']:,} | "
            f"{r['select_down']:,} | {r['select_server_cpu_ms_median']} / "
            f"{r['select_server_cpu_ms_p95']} |"
        )
    lines += [
        "",
        "| backend | page | workers | affinity | clicks/s | p50 / p95 ms | errors | state resent "
        "| bytes up per click | processes answering | clicks on another process than the "
        "user's last | server CPU (cores) | server MiB after | load average |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: |",
    ]
    for r in load:
        lines.append(
            f"| `{r['backend']}` | {r['pattern']} | {r['workers']} | {r['affinity']} | "
            f"{r['throughput_rps']} | {r['latency_ms_p50']} / {r['latency_ms_p95']} | "
            f"{r['errors']} | {r['state_resent']} | {_bytes(r['bytes_up_per_click'])} | "
            f"{r['processes_answering']} | {r['process_switches']} | {r['server_cpu_cores']} | "
            f"{r['server_rss_mb_after']} | {r['load_average']} |"
        )
    meta = result.get("meta", {})
    lines += ["", f"{meta.get('users')} users, {meta.get('seconds_per_cell')} s per load cell, "
              f"{meta.get('cpus')} CPUs; load average at the start "
              f"{meta.get('load_average_at_start')}."]  # fmt: skip
    return "\n".join(lines)


def _bytes(n: float | None) -> str:
    return "n/a" if n is None else human_bytes(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=list(PAGES))
    parser.add_argument("--sizes", nargs="+", type=int, default=[12, 48])
    parser.add_argument("--clicks", type=int, default=10, help="select clicks timed per case")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--out", type=Path, default=RESULTS / "backends.json")
    args = parser.parse_args()
    started = time.monotonic()
    run(args.backends, args.pages, args.sizes, args.clicks, args.users, args.seconds,
        out=args.out)  # fmt: skip
    print(f"backends took {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
