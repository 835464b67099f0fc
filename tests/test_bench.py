"""The benchmarks cannot rot: their smoke mode runs here, and the docs show the committed results.

The smoke run's figures are tiny and mean nothing; the test checks that every part produced its
files in the documented shape with plausible (positive, consistent) numbers, never their values.
"""

from __future__ import annotations

import json
from pathlib import Path

from app.meter.meter import profiles as meter_profiles
from app.patterns import PATHS
from bench import backends, report, state_shape
from bench.results import RESULTS
from tests.harness import run_module


def test_smoke_run_writes_every_result(tmp_path: Path) -> None:
    run_module("bench", "--smoke", "--results-dir", str(tmp_path), timeout=600)
    for name in ("payload.json", "load.json", "backends.json", "soak.json", "summary.md",
                 "payload.png", "load.png", "soak.png", "soak.md", "networks.json",
                 "networks.png"):  # fmt: skip
        assert (tmp_path / name).stat().st_size > 0, name

    payload = json.loads((tmp_path / "payload.json").read_text())
    gcs = next(r for r in payload["rows"] if r["path"] == "/gcs")
    floor = next(r for r in payload["rows"] if r["variant"] == "floor")
    for row in (gcs, floor):
        assert row["select_up"] > 0 and row["select_down"] > 0
        assert 0 < row["select_server_cpu_ms_median"] <= row["select_server_ms_p95"] * 1.05
    assert gcs["select_media"] > 0  # the image came from storage, not through /__ui__
    assert 0 < gcs["reselect_server_cpu_ms_median"] <= gcs["reselect_server_ms_p95"] * 1.05
    # The decomposition's parts: the counter inside the app, and inside /gcs's frame.
    in_app = next(r for r in payload["rows"] if r["variant"] == "in-app")
    frame = next(r for r in payload["rows"] if r["variant"] == "frame")
    assert frame["path"] == "/gcs" and in_app["path"] == "/counter"
    for row in (in_app, frame):
        assert 0 < row["select_server_cpu_ms_median"] <= row["select_server_ms_p95"] * 1.05
    # Components per render: the counter's (a button is three, its text one, the root),
    # then more in the app's frame, more again on the page.
    assert floor["components"] == in_app["components"] == 5
    assert 5 < frame["components"] < gcs["components"]

    load = json.loads((tmp_path / "load.json").read_text())
    assert {r["pattern"] for r in load["rows"]} == {"counter", "/gcs"}
    for row in load["rows"]:
        assert row["errors"] == 0, row["error_kinds"]
        assert row["clicks"] > 0 and row["throughput_rps"] > 0
        assert 0 < row["latency_ms_p50"] <= row["latency_ms_p95"]
        assert row["bytes_up_per_click"] > 0 and row["server_cpu_cores"] > 0

    rows = json.loads((tmp_path / "backends.json").read_text())["rows"]
    (clicks,) = [r for r in rows if r["kind"] == "payload"]  # memory backend, /gcs, 12 images
    assert 0 < clicks["select_up"] < 1_000  # the token, not the state
    assert clicks["select_server_cpu_ms_median"] > 0
    cells = {(r["workers"], r["affinity"]): r for r in rows if r["kind"] == "load"}
    assert set(cells) == {(1, "pinned"), (2, "pinned"), (2, "none")}
    for cell in cells.values():
        assert cell["errors"] == 0 and cell["clicks"] > 0, cell
    assert cells[(1, "pinned")]["state_resent"] == cells[(2, "pinned")]["state_resent"] == 0
    assert cells[(1, "pinned")]["processes_answering"] == 1
    assert "| `memory` | /gcs | 2 | none |" in backends.section({"rows": rows, "meta": {}})

    soak = json.loads((tmp_path / "soak.json").read_text())
    assert soak["server_errors_5xx"] == 0 and soak["visits"] > 0
    assert all(s["rss_mb"] > 0 for s in soak["samples"])

    check_networks_smoke(json.loads((tmp_path / "networks.json").read_text()))

    summary = (tmp_path / "summary.md").read_text()
    assert "throughput at 50 users" not in summary  # the smoke load ran 2 users, no such goal
    assert "/gcs select at 1 images vs the counter's click" in summary
    decomposed = summary.split("The cost of a click, decomposed")[1].split("\n#")[0]
    assert decomposed.count("\n| /gcs | 1 |") == 1


def check_networks_smoke(networks: dict) -> None:
    """One /gcs click at 1 image on the first profile: timed, with its bytes and the meter's
    estimate, and slower than loopback by at least the profile's two round trips."""
    (row,) = networks["rows"]
    profile = next(p for p in meter_profiles() if p["name"] == row["profile"])
    assert (row["path"], row["images"], row["clicks"]) == ("/gcs", 1, 1)
    assert row["seconds_median"] >= 2 * profile["rtt_ms"] / 1000  # the click, then the image
    assert 0.5 < row["estimate_seconds"] / row["seconds_median"] < 2
    assert row["up"] > 0 and row["down"] > 0 and row["media"] > 100_000  # from the bucket
    (sample,) = row["samples"]
    assert sample["seconds"] == row["seconds_median"] and sample["server_ms"] > 0


def test_docs_show_the_committed_results() -> None:
    """README's and docs/performance.md's generated blocks are what `python -m bench.report`
    makes of the committed JSON (rerun it after a benchmark run)."""
    payload = report.load_json(RESULTS / "payload.json")
    load = report.load_json(RESULTS / "load.json")
    for name, body in report.blocks(payload, load).items():
        doc = report.DOCS[name]
        assert report.replace_block(doc.read_text(), name, body) == doc.read_text(), doc
    doc = report.DOCS["backends"].read_text()
    table = backends.section(report.load_json(RESULTS / "backends.json"))
    assert report.replace_block(doc, "backends", table) == doc


def test_docs_show_the_committed_network_results() -> None:
    """README's sentence and docs/performance.md's table are what the report makes of the
    committed networks.json, whose rows cover every page, size and profile."""
    networks = report.load_json(RESULTS / "networks.json")
    cases = {(r["path"], r["images"], r["profile"]) for r in networks["rows"]}
    names = [p["name"] for p in meter_profiles()]
    assert cases == {(p, s, n) for p in PATHS for s in (1, 12, 48) for n in names}
    for name, body in report.network_blocks(networks).items():
        doc = report.NETWORK_DOCS[name]
        assert report.replace_block(doc.read_text(), name, body) == doc.read_text(), doc
    gcs = next(r for r in networks["rows"] if (r["path"], r["profile"]) == ("/gcs", names[0]))
    assert report.seconds(gcs["seconds_median"]) in report.NETWORK_DOCS["networks"].read_text()


def test_state_shape_smoke_and_its_table_in_the_docs(tmp_path: Path) -> None:
    """The list-cost benchmark runs, grows with the list's length, the check refuses in well
    under Mesop's time, and docs/performance.md shows the committed results."""
    out = tmp_path / "shape.json"
    run_module("bench.state_shape", "--smoke", "--out", str(out), timeout=120)
    rows = json.loads(out.read_text())["rows"]
    assert {r["kind"] for r in rows} == set(state_shape.KINDS)
    assert all(r["mesop_ms"] > 0 and r["check_ms"] >= 0 and r["state_bytes"] > 0 for r in rows)

    committed = json.loads((RESULTS / "state_shape.json").read_text())
    doc = state_shape.PERFORMANCE.read_text()
    table = state_shape.table(committed)
    assert report.replace_block(doc, "state_shape", table) == doc
