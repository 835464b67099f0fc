"""The benchmarks cannot rot: their smoke mode runs here, and the docs show the committed results.

The smoke run's figures are tiny and mean nothing; the test checks that every part produced its
files in the documented shape with plausible (positive, consistent) numbers, never their values.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench import report, state_shape
from bench.results import RESULTS
from tests.harness import run_module


def test_smoke_run_writes_every_result(tmp_path: Path) -> None:
    run_module("bench", "--smoke", "--results-dir", str(tmp_path), timeout=600)
    for name in ("payload.json", "load.json", "soak.json", "summary.md", "payload.png",
                 "load.png", "soak.png", "soak.md"):  # fmt: skip
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

    soak = json.loads((tmp_path / "soak.json").read_text())
    assert soak["server_errors_5xx"] == 0 and soak["visits"] > 0
    assert all(s["rss_mb"] > 0 for s in soak["samples"])

    summary = (tmp_path / "summary.md").read_text()
    assert "throughput at 50 users" not in summary  # the smoke load ran 2 users, no such goal
    assert "/gcs select at 1 images vs the counter's click" in summary
    decomposed = summary.split("The cost of a click, decomposed")[1]
    assert decomposed.count("\n| /gcs | 1 |") == 1


def test_docs_show_the_committed_results() -> None:
    """README's and docs/performance.md's generated blocks are what `python -m bench.report`
    makes of the committed JSON (rerun it after a benchmark run)."""
    payload = report.load_json(RESULTS / "payload.json")
    load = report.load_json(RESULTS / "load.json")
    for name, body in report.blocks(payload, load).items():
        doc = report.DOCS[name]
        assert report.replace_block(doc.read_text(), name, body) == doc.read_text(), doc


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
