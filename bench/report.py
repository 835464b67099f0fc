"""Tables, goal ratios and charts from the benchmarks' JSON, as README and docs/performance.md show.

Reads bench/results/payload.json, load.json and backends.json (and soak.json when present), writes
bench/results/summary.md (every table) and the charts (PNG), and rewrites the generated blocks of
README.md and docs/performance.md (between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`), so
the figures a reader sees are always the last run's. tests/test_bench.py checks that they are.

    .venv/bin/python -m bench.report          # after python -m bench.payload / bench.load
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from app.click_cost import decompose
from app.patterns import GOAL_ORDER, PATTERNS
from bench import backends
from bench.results import RESULTS
from tests.harness import ROOT

CONTRAST = {p.path for p in PATTERNS if p.contrast}

DOCS = {
    "headline": ROOT / "README.md",
    "tables": ROOT / "docs" / "performance.md",
    "decomposition": ROOT / "docs" / "performance.md",
    "backends": ROOT / "docs" / "performance.md",
}
MATRIX_USERS = 50


def load_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {"meta": {}, "rows": []}


def _row(rows: list[dict], path: str, images: int, variant: str = "default") -> dict | None:
    for row in rows:
        if (row["path"], row["images"], row.get("variant", "default")) == (path, images, variant):
            return row
    return None


def _click_bytes(row: dict) -> int:
    return row["select_up"] + row["select_down"]


def _n(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def goals(payload: dict, load: dict) -> list[dict]:
    """The issue's goals as ratios measured in one run; /base64 alongside, for contrast."""
    rows, out = payload["rows"], []
    floor = _row(rows, "/counter", 0, "floor")
    sizes = sorted({r["images"] for r in rows if r.get("variant", "default") == "default"})
    small, large = (sizes[0], sizes[-1]) if sizes else (0, 0)
    for path in GOAL_ORDER:
        one, many = _row(rows, path, small), _row(rows, path, large)
        if not (one and many):
            continue
        # Across sizes, server time compares re-selects: the same work at both sizes (see
        # bench/payload.py). Against the counter, the select click itself.
        sized = [("bytes", "select", _click_bytes),
                 ("server CPU", "re-select", "reselect_server_cpu_ms_median")]  # fmt: skip
        floored = [("bytes", "select", _click_bytes),
                   ("server CPU", "select", "select_server_cpu_ms_median")]  # fmt: skip
        comparisons = [(f"{large} vs {small} images", "≤ 1.2×", 1.2, one, sized)]
        if floor:
            comparisons.append((f"{large} images vs the counter's click", "≤ 2×", 2.0, floor,
                                floored))  # fmt: skip
        for versus, target, limit, base, measures in comparisons:
            for what, click, key in measures:
                value = lambda r, k=key: k(r) if callable(k) else r.get(k)  # noqa: E731
                out.append({"goal": f"{path} {click} at {versus} ({what})", "target": target,
                            "limit": limit, "ratio": _ratio(value(many), value(base)),
                            "detail": f"{_n(value(many))} vs {_n(value(base))}"})  # fmt: skip
    out += route_goals(rows, sizes)
    first = load["rows"][0] if load["rows"] else {}
    base = (first.get("worker_class"), first.get("workers"))

    def rps(pattern: str, key: str) -> float | None:
        for row in load["rows"]:
            same = (row["worker_class"], row["workers"]) == base
            if same and row["pattern"] == pattern and row["users"] == MATRIX_USERS:
                return per_cpu_second(row) if key == "clicks_per_cpu_second" else row[key]
        return None

    for pattern in GOAL_ORDER:
        for unit, key in (("clicks/s", "throughput_rps"), ("clicks per server CPU-second",
                                                           "clicks_per_cpu_second")):  # fmt: skip
            mine, floor_rps = rps(pattern, key), rps("counter", key)
            if mine is not None and floor_rps:
                out.append({"goal": f"{pattern} throughput at {MATRIX_USERS} users vs the "
                            f"counter's ({unit})", "target": "≥ 0.8×", "limit": -0.8,
                            "ratio": _ratio(mine, floor_rps),
                            "detail": f"{mine} vs {floor_rps}"})  # fmt: skip
    for goal in out:
        limit, ratio = goal.pop("limit"), goal["ratio"]
        if goal["goal"].split()[0] in CONTRAST:
            goal["met"] = "(contrast)"
        elif ratio is None:
            goal["met"] = "n/a"
        else:
            goal["met"] = "met" if (ratio >= -limit if limit < 0 else ratio <= limit) else "missed"
    return out


# The /database page's own bars (its issue): bytes per select click at these sizes, and the
# CPU of serving one display image from the app's route against a /gcs select click.
ROUTE_PAGE, ROUTE_BYTES = "/database", {"up": 1500, "down": 4000}


def route_goals(rows: list[dict], sizes: list[int]) -> list[dict]:
    out = []
    for size in [s for s in sizes if s >= 12]:
        row = _row(rows, ROUTE_PAGE, size)
        for direction, most in ROUTE_BYTES.items() if row else ():
            value = row[f"select_{direction}"]
            out.append({"goal": f"{ROUTE_PAGE} select at {size} images (bytes {direction})",
                        "target": f"≤ {most:,} B", "limit": 1.0,
                        "ratio": _ratio(value, most), "detail": f"{value:,} B"})  # fmt: skip
    large = sizes[-1] if sizes else 0
    served, gcs = _row(rows, ROUTE_PAGE, large), _row(rows, "/gcs", large)
    if served and gcs and served.get("route_image_cpu_ms_median") is not None:
        mine, theirs = served["route_image_cpu_ms_median"], gcs["select_server_cpu_ms_median"]
        out.append({"goal": f"{ROUTE_PAGE} one display image from the route vs a /gcs select "
                    f"click at {large} images (server CPU)", "target": "≤ 2×", "limit": 2.0,
                    "ratio": _ratio(mine, theirs), "detail": f"{mine} vs {theirs}"})  # fmt: skip
    return out


def goals_table(payload: dict, load: dict) -> str:
    lines = ["| goal | target | measured | ratio | |", "| --- | --- | ---: | ---: | --- |"]
    for g in goals(payload, load):
        ratio = f"{g['ratio']}×" if g["ratio"] is not None else "n/a"
        lines.append(f"| {g['goal']} | {g['target']} | {g['detail']} | {ratio} | {g['met']} |")
    return "\n".join(lines)


def _ms(row: dict, key: str) -> str:
    median, p95 = row.get(f"{key}_median"), row.get(f"{key}_p95")
    return "n/a" if median is None else f"{median} / {p95}"


def payload_table(payload: dict) -> str:
    rows = payload["rows"]
    floor = _row(rows, "/counter", 0, "floor")
    lines = [
        "| page | variant | images | bytes up | bytes down | image bytes from storage "
        "| × counter's click | server ms (median / p95) | server CPU ms (median / p95) "
        "| re-select server CPU ms (median / p95) | last add: up / down |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        times = floor and round(_click_bytes(r) / _click_bytes(floor), 1)
        lines.append(
            f"| {r['path']} | {r.get('variant', 'default')} | {r['images']} | "
            f"{r['select_up']:,} | {r['select_down']:,} | {r['select_media']:,} | "
            f"{times}× | {_ms(r, 'select_server_ms')} | {_ms(r, 'select_server_cpu_ms')} | "
            f"{_ms(r, 'reselect_server_cpu_ms')} | {r['add_up']:,} / {r['add_down']:,} |"
        )
    return "\n".join(lines)


def per_cpu_second(row: dict) -> float | None:
    """Clicks per second of server CPU: what a cell did for the CPU it got. On a machine shared
    with other work the server gets less CPU in some cells than in others; this figure moves
    much less than clicks per second when that happens."""
    cores = row.get("server_cpu_cores")
    return round(row["throughput_rps"] / cores, 1) if cores else None


def load_table(load: dict) -> str:
    lines = [
        "| page | users | gunicorn | clicks/s | p50 ms | p95 ms | errors | server CPU (cores) "
        "| clicks per server CPU-second | load generator CPU (cores) | load average |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in load["rows"]:
        threads = f" × {r['threads']} threads" if r["worker_class"] == "gthread" else ""
        gunicorn = f"{r['worker_class']}, {r['workers']} worker{'s' * (r['workers'] > 1)}{threads}"
        lines.append(
            f"| {r['pattern']} | {r['users']} | {gunicorn} | {r['throughput_rps']} | "
            f"{r['latency_ms_p50']} | {r['latency_ms_p95']} | {r['errors']} | "
            f"{r['server_cpu_cores']} | {per_cpu_second(r)} | {r['client_cpu_cores']} | "
            f"{r.get('load_average', 'n/a')} |"
        )
    return "\n".join(lines)


def charts(payload: dict, load: dict, out_dir: Path) -> list[Path]:
    """Two small PNGs: bytes per select click by page and size; throughput by users."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    rows = [r for r in payload["rows"] if r["images"] > 0]
    if rows:
        fig, ax = plt.subplots(figsize=(7, 3.6), dpi=100)
        series: dict[str, list[tuple[int, int]]] = {}
        for r in rows:
            name = r["path"] + (
                "" if r.get("variant", "default") == "default" else f" ({r['variant']})"
            )
            series.setdefault(name, []).append((r["images"], _click_bytes(r)))
        for name, points in series.items():
            ax.plot(*zip(*sorted(points), strict=True), marker="o", label=name)
        floor = _row(payload["rows"], "/counter", 0, "floor")
        if floor:
            ax.axhline(_click_bytes(floor), color="grey", linestyle="--", label="counter (floor)")
        ax.set(xlabel="images in the gallery", ylabel="bytes per select click (up + down)",
               yscale="log", title="Bytes through /__ui__ per select click")  # fmt: skip
        ax.legend(fontsize=7)
        fig.tight_layout()
        written.append(out_dir / "payload.png")
        fig.savefig(written[-1])
        plt.close(fig)
    if load["rows"]:
        first = load["rows"][0]
        base = (first["worker_class"], first["workers"])
        fig, ax = plt.subplots(figsize=(7, 3.6), dpi=100)
        patterns: dict[str, list[tuple[int, float]]] = {}
        for r in load["rows"]:
            if (r["worker_class"], r["workers"]) == base:
                patterns.setdefault(r["pattern"], []).append((r["users"], r["throughput_rps"]))
        for name, points in patterns.items():
            ax.plot(*zip(*sorted(points), strict=True), marker="o", label=name)
        ax.set(xlabel="concurrent users", ylabel="clicks per second",
               title=f"Throughput, gunicorn {base[0]} × {base[1]} worker(s)")  # fmt: skip
        ax.legend(fontsize=7)
        fig.tight_layout()
        written.append(out_dir / "load.png")
        fig.savefig(written[-1])
        plt.close(fig)
    return written


def decomposition_table(payload: dict) -> str:
    """Each pattern's select click at its largest gallery, as server CPU (ms, median thread CPU)
    split into parts (app/click_cost.py says how), with the components one render makes."""
    costs = [c for c in (decompose(payload["rows"], p) for p in GOAL_ORDER) if c]
    if not costs:
        return (
            "Not in these results: they predate the frame's measurement. Run `python -m "
            "bench.payload` (its `floor` and `frame` variants) and `python -m bench.report`."
        )
    lines = [
        "| page | images | floor: the counter | + the app's state | + the page's frame "
        "| + the pattern | = total | × counter | components per render: counter / frame / page "
        "| µs per component per render |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in costs:
        lines.append(
            f"| {c.path} | {c.images} | {c.floor_ms} | {c.state_ms} | {c.frame_ms} | "
            f"{c.pattern_ms} | {c.total_ms} | {c.times_floor}× | {c.floor_components} / "
            f"{c.frame_components} / {c.components} | {_n(c.us_per_component)} |"
        )
    return "\n".join(lines)


def blocks(payload: dict, load: dict) -> dict[str, str]:
    """The generated parts of README (headline) and docs/performance.md (tables)."""
    meta = payload.get("meta", {})
    headline = goals_table(payload, load)
    tables = "\n\n".join([
        "### Goals, as ratios measured in one run\n\n" + headline,
        "### One select click (and the last \"Add sample images\")\n\n" + payload_table(payload),
        "![Bytes per select click](../bench/results/payload.png)",
        "### Under load (closed loop, no think time)\n\n" + load_table(load),
        "![Throughput by users](../bench/results/load.png)",
        f"Machine: {meta.get('cpus', '?')} CPUs, Python {meta.get('python', '?')}.",
    ])  # fmt: skip
    return {"headline": headline, "tables": tables, "decomposition": decomposition_table(payload)}


def replace_block(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- bench:{name} -->\n)(?:.*?\n)?(<!-- /bench:{name} -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"no <!-- bench:{name} --> block")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


# ---------- bench/networks.py: from a click to the image shown, on real networks ----------

NETWORK_DOCS = {"networks_headline": ROOT / "README.md",
                "networks": ROOT / "docs" / "performance.md"}  # fmt: skip


def seconds(value: float) -> str:
    """Seconds for a reader: two decimals under 1 s, one under 10 s, whole seconds above."""
    digits = 2 if value < 1 else 1 if value < 10 else 0
    return f"{value:,.{digits}f} s"


def _network_cases(networks: dict) -> dict[tuple[str, int], dict[str, dict]]:
    """Rows by (page, size), then by profile, in the results' order."""
    cases: dict[tuple[str, int], dict[str, dict]] = {}
    for r in networks["rows"]:
        cases.setdefault((r["path"], r["images"]), {})[r["profile"]] = r
    return cases


def _network_profiles(networks: dict) -> list[str]:
    return list(dict.fromkeys(r["profile"] for r in networks["rows"]))


def networks_table(networks: dict) -> str:
    """One row per page and size; per profile, the median click and the meter's estimate."""
    from app.units import human_bytes

    names = _network_profiles(networks)
    lines = ["| page | images | up | down | image from storage | "
             + " | ".join(names) + " |",
             "| --- | ---: | ---: | ---: | ---: |" + " ---: |" * len(names)]  # fmt: skip
    for (path, size), by_profile in _network_cases(networks).items():
        first = next(iter(by_profile.values()))
        cells = []
        for name in names:
            r = by_profile.get(name)
            once = "†" if r and r["clicks"] == 1 else ""
            cells.append(f"**{seconds(r['seconds_median'])}**{once} "
                         f"(meter {seconds(r['estimate_seconds'])})" if r else "n/a")  # fmt: skip
        lines.append(f"| {path} | {size} | {human_bytes(first['up'])} | "
                     f"{human_bytes(first['down'])} | {human_bytes(first['media'])} | "
                     + " | ".join(cells) + " |")  # fmt: skip
    return "\n".join(lines)


def networks_headline(networks: dict) -> str:
    """README's sentence: the first profile (a phone on 4G), the largest gallery, every page."""
    names = _network_profiles(networks)
    if not names:
        return "(no networks results yet: `python -m bench.networks`)"
    largest = max(r["images"] for r in networks["rows"])
    pages = [r for r in networks["rows"] if r["profile"] == names[0] and r["images"] == largest]
    times = [f"**{seconds(r['seconds_median'])}** on `{r['path']}`" for r in pages]
    listed = ", ".join(times[:-1]) + f" and {times[-1]}" if len(times) > 1 else times[0]
    return (f"On a {names[0]}, a select click in a gallery of {largest} images takes {listed}, "
            "from the click to the image shown (Chromium under Chrome's network emulation; "
            "other networks and sizes, and the meter's estimates beside them, in "
            "[docs/performance.md](docs/performance.md#on-real-networks-from-a-click-to-the-image)"
            ").")  # fmt: skip


def networks_chart(networks: dict, out_dir: Path) -> Path | None:
    """Seconds per select at the largest size: a bar per page and profile, the meter's estimate
    as a mark on each; log scale, as /base64 is a hundred times the others."""
    if not networks["rows"]:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = _network_profiles(networks)
    largest = max(r["images"] for r in networks["rows"])
    cases = {path: by for (path, size), by in _network_cases(networks).items() if size == largest}
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=100)
    width = 0.8 / len(names)
    for n, name in enumerate(names):
        xs, measured, estimated = [], [], []
        for i, by_profile in enumerate(cases.values()):
            if name in by_profile:
                xs.append(i + (n - (len(names) - 1) / 2) * width)
                measured.append(by_profile[name]["seconds_median"])
                estimated.append(by_profile[name]["estimate_seconds"])
        ax.bar(xs, measured, width, label=name)
        ax.scatter(xs, estimated, marker="_", s=200, color="black", zorder=3,
                   label="meter's estimate" if n == 0 else None)  # fmt: skip
    ax.set_xticks(range(len(cases)), list(cases))
    ax.set(ylabel="seconds, click to image shown", yscale="log",
           title=f"One select at {largest} images, under Chrome's network emulation")  # fmt: skip
    ax.legend(fontsize=7)
    fig.tight_layout()
    out = out_dir / "networks.png"
    fig.savefig(out)
    plt.close(fig)
    return out


def network_blocks(networks: dict) -> dict[str, str]:
    """The generated parts: README's sentence, docs/performance.md's table and chart."""
    meta = networks.get("meta", {})
    run = meta.get("run_seconds")
    took = f"The last run took {round(run / 60)} minutes ({run} s) on {meta.get('cpus', '?')} " \
        f"CPUs, load average {meta.get('load_average_at_start', ['?'])[0]} at its start. " \
        if run is not None else ""  # fmt: skip
    table = "\n\n".join([
        networks_table(networks),
        "Median of the timed clicks (three; † one, where the meter predicted over "
        f"{meta.get('one_click_above_estimate_seconds', 0):g} s), from the click to the image "
        "shown; in brackets the payload meter's estimate for that network, read after a select "
        "made without emulation. Bytes of a timed click on the first network (median; the pictures "
        "differ a little in size): `/__ui__` up and down, and the image fetched outside it. "
        + took + "Every click: `bench/results/networks.json`.",
        "![Seconds per select on each network](../bench/results/networks.png)",
    ])  # fmt: skip
    return {"networks_headline": networks_headline(networks), "networks": table}


def write_networks(results: Path = RESULTS, update_docs: bool = True) -> None:
    """networks.json's chart, its section of summary.md and its doc blocks, when it exists."""
    networks = load_json(results / "networks.json")
    if not networks["rows"]:
        return
    parts = network_blocks(networks)
    networks_chart(networks, results)
    summary = results / "summary.md"
    text = summary.read_text() if summary.exists() else ""
    summary.write_text(text + "\n### On real networks: from a click to the image shown\n\n"
                       + parts["networks"].replace("../bench/results/", "") + "\n")  # fmt: skip
    if update_docs:
        for name, doc in NETWORK_DOCS.items():
            doc.write_text(replace_block(doc.read_text(), name, parts[name]))


def write(results: Path = RESULTS, update_docs: bool = True) -> Path:
    payload, load = load_json(results / "payload.json"), load_json(results / "load.json")
    parts = {**blocks(payload, load),
             "backends": backends.section(load_json(results / "backends.json"))}  # fmt: skip
    summary = results / "summary.md"
    summary.write_text(
        "# Benchmark results\n\nGenerated by `python -m bench.report` from payload.json and "
        "load.json in this folder; schema in [bench/README.md](../README.md).\n\n"
        + parts["tables"].replace("../bench/results/", "")
        + "\n\n### The cost of a click, decomposed (server CPU ms)\n\n"
        + parts["decomposition"]
        + "\n"
    )
    charts(payload, load, results)
    if update_docs:
        for name, doc in DOCS.items():
            doc.write_text(replace_block(doc.read_text(), name, parts[name]))
    write_networks(results, update_docs)
    print(f"wrote {summary}", flush=True)
    return summary


if __name__ == "__main__":
    write()
