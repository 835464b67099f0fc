"""Soak: many users for many minutes against gunicorn on loopback: no 5xx, memory that levels off.

Users are spread over /base64, /memory and /gcs. Each repeats a visit: open the page, add the 12
samples (its own gallery), click thumbnails `--clicks` times, clear the gallery, leave; then a new
visit. Every few seconds the server's resident memory (gunicorn's master, workers and the embedded
emulator: the whole process tree) is sampled. The run stops by itself after `--minutes`.

Writes bench/results/soak.json, soak.png (the memory curve) and soak.md (the report).

    .venv/bin/python -m bench.soak                      # 10 minutes, 50 users, gthread 1 x 8
    .venv/bin/python -m bench.soak --minutes 1 --users 6 --out-dir /tmp/soak
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from app.patterns import PATHS
from bench.load import Config, prepare, rss_by_role, server_for
from bench.protocol import ProtocolError
from bench.results import RESULTS, machine, write_json

PATTERNS = PATHS


def visitor(url: str, pattern: str, clicks: int, deadline: float, tally: Counter, lock) -> None:
    while time.monotonic() < deadline:
        try:
            session, targets = prepare(url, pattern)
            with lock:
                tally["visits"] += 1
            for n in range(clicks):
                if time.monotonic() >= deadline:
                    break
                session.click(targets[n % 2])
                with lock:
                    tally["clicks"] += 1
            clear = session.find("Clear gallery")
            if clear:
                session.click(clear[0])
            session.close()
        except ProtocolError as failure:
            with lock:
                tally[f"HTTP {failure.status}" if failure.status != 200 else "mesop error"] += 1
        except (OSError, IndexError) as failure:
            with lock:
                tally[type(failure).__name__] += 1


def sample(pid: int, started: float, clicks: int) -> dict:
    roles = {f"{k}_mb": round(v / 2**20, 1) for k, v in rss_by_role(pid).items()}
    return {"t": round(time.monotonic() - started, 1), "clicks": clicks,
            "rss_mb": round(sum(roles.values()), 1), **roles}  # fmt: skip


def run(minutes: float, users: int, clicks: int, config: Config, sample_every: float,
        out_dir: Path) -> dict:  # fmt: skip
    scratch = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    tally: Counter = Counter()
    lock = threading.Lock()
    samples = []
    # The app's own defaults (the 256 MB /memory cap), as deployed: no load-test overrides.
    with server_for("app", config, scratch, extra_env={}) as server:
        started = time.monotonic()
        deadline = started + minutes * 60
        threads = [
            threading.Thread(
                target=visitor,
                args=(server.url, PATTERNS[i % len(PATTERNS)], clicks, deadline, tally, lock),
                daemon=True,
            )
            for i in range(users)
        ]
        for thread in threads:
            thread.start()
        while time.monotonic() < deadline:
            with lock:
                done = tally["clicks"]
            samples.append(sample(server.process.pid, started, done))
            time.sleep(min(sample_every, max(0.0, deadline - time.monotonic())))
        for thread in threads:
            thread.join(timeout=60)
        samples.append(sample(server.process.pid, started, tally["clicks"]))
    errors = {k: v for k, v in tally.items() if k not in ("visits", "clicks")}
    server_errors = sum(v for k, v in errors.items() if k.startswith("HTTP 5"))
    # "Flat": the last fifth of the run against the second fifth (the first is warm-up).
    fifth = max(1, len(samples) // 5)

    def median(key: str, part: list[dict]) -> float:
        return round(statistics.median(s[key] for s in part), 1)

    early = median("rss_mb", samples[fifth : 2 * fifth])
    late = median("rss_mb", samples[-fifth:])
    by_role = {role: [median(f"{role}_mb", samples[fifth : 2 * fifth]),
                      median(f"{role}_mb", samples[-fifth:])]
               for role in ("master", "workers", "emulator")}  # fmt: skip
    result = {
        "meta": {
            **machine(),
            "minutes": minutes,
            "users": users,
            "clicks_per_visit": clicks,
            "gunicorn": config.label,
            "patterns": list(PATTERNS),
            "rss": "VmRSS summed over gunicorn's master, workers and the embedded GCS emulator",
        },
        "visits": tally["visits"],
        "clicks": tally["clicks"],
        "errors": errors,
        "server_errors_5xx": server_errors,
        "rss_mb_early_median": early,
        "rss_mb_late_median": late,
        "rss_growth_mb": round(late - early, 1),
        "rss_mb_early_late_by_role": by_role,
        "samples": samples,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "soak.json", result)
    chart(result, out_dir / "soak.png")
    (out_dir / "soak.md").write_text(report(result))
    print(report(result), flush=True)
    return result


def chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3), dpi=100)
    minutes = [s["t"] / 60 for s in result["samples"]]
    for key in ("rss_mb", "workers_mb", "emulator_mb"):
        ax.plot(minutes, [s[key] for s in result["samples"]], label=key.removesuffix("_mb"))
    ax.legend(fontsize=7)
    title = f"Soak: {result['meta']['users']} users, {result['meta']['gunicorn']}"
    ax.set(xlabel="minutes", ylabel="server RSS (MB)", ylim=(0, None), title=title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def report(result: dict) -> str:
    meta = result["meta"]
    minutes = meta["minutes"]
    return (
        f"# Soak report\n\n"
        f"`python -m bench.soak`: {meta['users']} users for {minutes} minutes against gunicorn "
        f"({meta['gunicorn']}) on loopback, spread over {', '.join(meta['patterns'])}; each visit "
        f"adds the 12 samples, clicks {meta['clicks_per_visit']} thumbnails, clears the gallery. "
        f"Machine: {meta['cpus']} CPUs, load generator on the same machine.\n\n"
        f"| | |\n| --- | ---: |\n"
        f"| visits | {result['visits']:,} |\n"
        f"| select clicks | {result['clicks']:,} |\n"
        f"| HTTP 5xx | {result['server_errors_5xx']} |\n"
        f"| other errors | {sum(result['errors'].values()) - result['server_errors_5xx']} "
        f"{result['errors'] or ''} |\n"
        f"| resident memory, 2nd fifth of the run (median) | {result['rss_mb_early_median']} MB |\n"
        f"| resident memory, last fifth (median) | {result['rss_mb_late_median']} MB |\n"
        f"| growth | {result['rss_growth_mb']} MB |\n"
        + "".join(
            f"| {role}: 2nd fifth → last fifth (median) | {a} → {b} MB |\n"
            for role, (a, b) in result["rss_mb_early_late_by_role"].items()
        )
        + "\n"
        "![Resident memory over the run](soak.png)\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--clicks", type=int, default=20, help="thumbnail clicks per visit")
    parser.add_argument("--config", type=Config.parse, default=Config("gthread", 1))
    parser.add_argument("--sample-every", type=float, default=5, help="seconds between samples")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    args = parser.parse_args()
    run(args.minutes, args.users, args.clicks, args.config, args.sample_every, args.out_dir)


if __name__ == "__main__":
    main()
