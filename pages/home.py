"""/: the patterns side by side: where the bytes live, what each click costs (as measured in
this browser and as the benchmark recorded it), and how to choose."""

from __future__ import annotations

from typing import Any

import mesop as me

from app import layout
from app.handlers import bound
from app.meter.meter import payload_comparison
from app.patterns import PATTERNS
from app.units import human_bytes

INTRO = """
Mesop keeps your app's state **in the browser** and sends it to the server with every click.
That is what makes Mesop servers simple, and it is why a large state (a gallery of photos, say)
makes every click slow. This app builds the same image gallery several ways, so you can see, and
measure, what each way of holding large data costs.
"""

GUIDE_ROWS = {
    "payload": "Payload per click",
    "replicas": "Replicas and workers",
    "durability": "Durability",
    "complexity": "Complexity",
    "choose_when": "Choose it when",
}
COUNTS = {2: "two", 3: "three", 4: "four", 5: "five"}


def guide() -> str:
    """The patterns' trade-offs side by side, a column per pattern (app/patterns.py)."""
    lines = [
        "| | " + " | ".join(p.label for p in PATTERNS) + " |",
        "| --- |" + " --- |" * len(PATTERNS),
    ]
    for field, heading in GUIDE_ROWS.items():
        cells = " | ".join(getattr(p.tradeoffs, field) for p in PATTERNS)
        lines.append(f"| **{heading}** | {cells} |")
    return "\n".join(lines)


GUIDE = guide()  # the patterns do not change while the app runs: built once, not per render


# Keep in sync with COLORS in app/meter/meter.js (the live figures beside these bars).
BAR_COLORS = {"up": "#d93025", "down": "#1a73e8", "media": "#188038"}


def _bar(label: str, value: int, largest: int, color: str) -> None:
    with me.box(style=me.Style(display="flex", align_items="center", gap=8)):
        me.text(label, style=me.Style(width=64, color="#5f6368", font_size=14))
        me.text(
            human_bytes(value),
            style=me.Style(width=96, text_align="right", font_weight="bold", color=color),
        )
        with me.box(style=me.Style(flex_grow=1, background="#e8eaed", height=10, border_radius=5)):
            share = 100 * value / largest if largest else 0
            me.box(
                style=me.Style(
                    width=f"{max(share, 0.5 if value else 0):.2f}%",
                    height=10,
                    border_radius=5,
                    background=color,
                )
            )


def recorded_bars() -> None:
    """The benchmark's select click at its largest gallery, one bar per direction and pattern,
    all on one scale, so the difference in size is seen before it is read."""
    rows = {}
    for p in PATTERNS:
        by_size = layout.bench_rows(p.path)
        if by_size:
            rows[p.path] = max(by_size, key=lambda r: r["images"])
    if not rows:
        me.text("No benchmark results yet: run `python -m bench.payload`.")
        return
    largest = max(r[f"select_{d}"] for r in rows.values() for d in ("up", "down", "media"))
    for p in PATTERNS:
        if p.path not in rows:
            continue
        row = rows[p.path]
        me.text(
            f"{p.label}: one select click with {row['images']} images in the gallery",
            style=me.Style(font_weight="bold", margin=me.Margin(top=12, bottom=4)),
        )
        for direction, label in (("up", "▲ up"), ("down", "▼ down"), ("media", "▣ images")):
            _bar(label, row[f"select_{direction}"], largest, BAR_COLORS[direction])
    throughput()


EDGE = me.BorderSide(width=1, style="solid", color="#dadce0")
LOAD_CELL = {"worker_class": "gthread", "workers": 1, "users": 50}


def throughput() -> None:
    """Clicks per second under load (bench/load.py), against a minimal Mesop counter page."""
    cells = {
        r.get("pattern"): r
        for r in layout.load_rows()
        if all(r.get(key) == value for key, value in LOAD_CELL.items())
        and isinstance(r.get("throughput_rps"), (int, float))
    }
    if not cells:
        return
    figures = [
        f"{p.label} {cells[p.path]['throughput_rps']:.0f}" for p in PATTERNS if p.path in cells
    ]
    if "counter" in cells:
        figures.append(f"a minimal counter page {cells['counter']['throughput_rps']:.0f}")
    me.text(
        "Select clicks per second with 50 simulated users (one gthread worker, 8 threads): "
        + ", ".join(figures)
        + ". Each click re-renders the page: its size, not its bytes, sets the server's pace.",
        style=me.Style(font_size=15, margin=me.Margin(top=12)),
    )


def _columns(min_width: int, gap: int) -> Any:
    """As many columns as fit, each at least min_width: side by side on a laptop, stacked on a
    phone."""
    return me.box(
        style=me.Style(
            display="grid",
            grid_template_columns=f"repeat(auto-fit, minmax({min_width}px, 1fr))",
            gap=gap,
            margin=me.Margin(top=gap),
        )
    )


@me.page(path="/", title="Mesop performance patterns", security_policy=layout.security_policy())
def home_page() -> None:
    ways = COUNTS.get(len(PATTERNS), str(len(PATTERNS)))
    with layout.frame(title=f"One gallery, {ways} ways to hold its images", path="/"):
        me.markdown(INTRO, style=me.Style(max_width=900))
        with _columns(min_width=260, gap=16):
            for p in PATTERNS:
                with me.box(
                    style=me.Style(
                        border=me.Border(
                            top=EDGE,
                            right=EDGE,
                            bottom=EDGE,
                            left=me.BorderSide(width=6, style="solid", color=p.color),
                        ),
                        border_radius=12,
                        padding=me.Padding.all(16),
                    )
                ):
                    me.button(
                        p.label,
                        on_click=bound(layout.go, p.path),
                        type="flat",
                        color="primary",
                    )
                    me.markdown(p.summary)
                    me.text(f"Where the bytes live: {p.where}", style=me.Style(font_size=14))

        with _columns(min_width=420, gap=32):
            with me.box():
                me.text("Measured in this browser", type="headline-6")
                me.text(
                    "The last select click on each page, as its payload meter counted it.",
                    style=me.Style(color="#5f6368", margin=me.Margin(bottom=8)),
                )
                payload_comparison(
                    [{"path": p.path, "label": p.label, "color": p.color} for p in PATTERNS]
                )
            with me.box():
                me.text("Recorded by the benchmark", type="headline-6")
                me.text(
                    "Chromium against gunicorn on the benchmark machine (docs/performance.md).",
                    style=me.Style(color="#5f6368", margin=me.Margin(bottom=8)),
                )
                recorded_bars()

        me.text("Choosing a pattern", type="headline-6", style=me.Style(margin=me.Margin(top=24)))
        me.markdown(GUIDE)
