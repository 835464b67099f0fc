"""The frame every page shares: navigation, title, and the "how it works" panel with real code.

Code excerpts are read from the running modules with `inspect.getsource`, so what a page shows as
"the key code" is the code that actually ran, never a copy that drifts.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mesop as me

from app import serving
from app.click_cost import decompose
from app.gcs import bucket
from app.meter.meter import payload_meter
from app.patterns import PATTERNS
from app.units import human_bytes

COMPARE = "/compare"
PAGES = [("/", "Overview"), (COMPARE, "Side by side"), *((p.path, p.label) for p in PATTERNS)]
EMBED = "embed"  # ?embed=1: the page as a frame of /compare shows only its meter and gallery


def embedded() -> bool:
    return me.query_params.get(EMBED) == "1"


def security_policy() -> me.SecurityPolicy | None:
    """Every page's: the browser may send uploads to the bucket (/gcs's direct uploads). Every
    page, not only /gcs: Mesop moves between pages without loading a new document, so the policy
    of the page a visit started on is the one in force."""
    origin = bucket.upload_origin()
    return me.SecurityPolicy(allowed_connect_srcs=[origin]) if origin else None


def tab_title(label: str) -> str:
    return f"{label} · Mesop performance patterns"


def go(url: str, event: me.ClickEvent) -> None:
    """Navigate inside the app (not a full page load), so every page's state is kept: the
    /gcs gallery's id survives a visit to the overview, and /base64's state keeps riding along."""
    me.navigate(url)


NAV_PAGES = [{"url": url, "label": label} for url, label in PAGES]
NAV_URLS = frozenset(url for url, _ in PAGES)
BRAND = "Mesop performance patterns"


def navigate(event: me.WebEvent) -> None:
    """A link of the navigation bar: {"url": ...}, one of PAGES (anything else is ignored: the
    event comes from the browser)."""
    url = event.value.get("url") if isinstance(event.value, dict) else None
    if isinstance(url, str) and url in NAV_URLS:
        me.navigate(url)


# skip_validation: Mesop checks a component's arguments with pydantic on every call (every
# render); these are the app's own, always a string.
@me.web_component(path="./nav.js", skip_validation=True)
def navigation(current: str) -> None:
    """The bar of links to every page (app/nav.js): one component, not a box of buttons."""
    me.insert_web_component(
        name="page-nav",
        key="page-nav",
        properties={"brand": BRAND, "pages": NAV_PAGES, "current": current},
        events={"navigateEvent": navigate},
    )


@me.content_component
def frame(title: str, path: str) -> None:
    if embedded():  # a frame of /compare: no navigation, title or footer
        with me.box(style=me.Style(padding=me.Padding.all(12))):
            me.slot()
        return
    navigation(path)
    with me.box(
        style=me.Style(
            max_width=1280,
            margin=me.Margin.symmetric(horizontal="auto"),
            padding=me.Padding.all(24),
        )
    ):
        me.text(title, type="headline-4", style=me.Style(margin=me.Margin(bottom=8)))
        me.slot()
        serving.footer()


_READING_SOURCE = threading.Lock()


@functools.cache
def source_of(*objects: Callable[..., Any] | type) -> str:
    """Cached: reading source tokenizes files, and every click re-renders the page (a profile of
    a /gcs click showed 18% of its server time here before the cache). One thread at a time on a
    miss: for a class, inspect parses its module with `ast`, and Python 3.11's ast module fails
    when two threads parse at once ("AST constructor recursion depth mismatch"), as a cold
    worker's first concurrent page loads did."""
    with _READING_SOURCE:
        return "\n\n".join(textwrap.dedent(inspect.getsource(obj)).strip() for obj in objects)


BENCH_RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results"


# A row lacking any of these (results from another version of the benchmark) is not shown.
SHOWN_FIELDS = ("images", "select_up", "select_down", "select_media", "select_server_ms_median")


@functools.cache
def _results(name: str) -> tuple[dict[str, Any], ...]:
    """The rows of bench/results/<name> (schema: bench/README.md); none if it is missing or not
    what this version expects: the pages show recorded figures only when there are some."""
    try:
        rows = json.loads((BENCH_RESULTS / name).read_text())["rows"]
    except (OSError, ValueError, KeyError, TypeError):
        return ()
    return tuple(r for r in rows if isinstance(r, dict))


def load_rows() -> tuple[dict[str, Any], ...]:
    """bench/load.py's cells (throughput and latency under simulated users), if recorded."""
    return _results("load.json")


def bench_rows(path: str) -> list[dict[str, Any]]:
    """The benchmark's rows for one page, in its default set-up (Mesop's default state backend,
    server-sent events): variants such as other state backends are left to docs/performance.md."""
    return [
        r
        for r in _results("payload.json")
        if r.get("path") == path
        and r.get("variant", "default") in ("default", "")
        and all(isinstance(r.get(key), (int, float)) for key in SHOWN_FIELDS)
    ]


def measured(path: str) -> None:
    """This pattern's recorded benchmark figures (bench/payload.py), so the page shows its cost,
    and where a click's server CPU goes (in the same markdown: no component more)."""
    text = measured_text(path)
    if text:
        me.markdown(text, style=me.Style(font_size=14, margin=me.Margin(bottom=16)))


@functools.cache
def measured_text(path: str) -> str:
    """Built once per process, not on each of a click's two renders: the recorded results do
    not change while the app runs (`_results` reads them once)."""
    rows = bench_rows(path)
    if not rows:
        return ""
    lines = [
        f"| {r['images']} | {human_bytes(r['select_up'])} | {human_bytes(r['select_down'])} | "
        f"{human_bytes(r['select_media'])} | {r['select_server_ms_median']} ms |"
        for r in rows
    ]
    return (
        "**Measured** (one select click, Chromium against gunicorn, `python -m bench.payload`):\n\n"
        "| images | up | down | image from storage | server time |\n"
        "| ---: | ---: | ---: | ---: | ---: |\n" + "\n".join(lines) + click_cost(path)
    )


def click_cost(path: str) -> str:
    """The lesson of the decomposed click (app/click_cost.py), from the recorded figures: what
    every component on the page costs. Empty when the results predate that measurement."""
    cost = decompose(_results("payload.json"), path)
    if cost is None:
        return ""
    per = cost.us_per_component
    each = (
        f", about {per} µs each per render: every component left out saves about {2 * per} µs "
        "of every click"
        if per
        else ""
    )
    return (
        f"\n\n**Where a select click's server CPU goes** ({cost.images} images, median): "
        f"{_part(cost.floor_ms)} is Mesop's floor (a counter's click), {_part(cost.state_ms)} "
        f"this app's state classes and middlewares, {_part(cost.frame_ms)} the page's frame "
        f"(navigation, explanation, meter), {_part(cost.pattern_ms)} the gallery; "
        f"{cost.total_ms} ms in all, {cost.times_floor}× the counter's. Mesop builds all "
        f"{cost.components} components of this page twice per click{each}."
    )


def _part(ms: float) -> str:
    """A part of the decomposition: a difference of two medians, so one near zero can come out
    a little negative; it then reads as what it is."""
    return f"{ms} ms" if ms > 0 else "about 0 ms (within the noise)"


def meter(path: str) -> None:
    """What this pattern costs, live, as this browser measures it: above the gallery, so that
    clicking and watching are one gesture (both fit a 1280x800 window after the samples)."""
    payload_meter(path)


# Space below a block as its own margin, not as an empty box after it: every component is
# rendered twice per click, an empty box too.
SPACED = me.Style(margin=me.Margin(bottom=16))


def recorded(path: str) -> None:
    """...and as the benchmark recorded it, below the explanation, so a visitor can check the
    recorded figures against their own clicks."""
    if measured_text(path) and not embedded():
        with me.expansion_panel(title="Recorded by the benchmark", style=SPACED):
            measured(path)


def where_it_lives(where: str, gallery_id: str, caveat: str = "") -> None:
    """For the patterns whose galleries outlive state, durability is the story: where the
    gallery is, and how to come back to it (or, with a caveat, why it may not be there)."""
    if caveat:
        text = f"Images are kept in {where}: {caveat}"
    elif gallery_id:
        text = (
            f"This gallery is kept in {where}. Reload the page, restart the server or bookmark "
            "this address: it will still be here."
        )
    else:
        text = f"Images will be kept in {where}."
    me.text(text, style=me.Style(color="#555", font_size=14, margin=me.Margin(bottom=8)))


def explanation(markdown: str, *code: Callable[..., Any] | type) -> None:
    """The pattern in a few sentences, then its key code, folded: below the gallery and the
    meter, which come first on the page (and alone in a frame of /compare)."""
    if embedded():
        return
    me.markdown(markdown, style=me.Style(max_width=900, margin=me.Margin(top=40)))
    if code:
        with me.expansion_panel(title="The key code", style=SPACED):
            # What me.code renders (a fenced block in me.markdown), one component fewer.
            me.markdown(f"```python\n{source_of(*code)}\n```")


@contextlib.contextmanager
def pattern_page(
    path: str, title: str, text: str, code: tuple[Callable[..., Any] | type, ...]
) -> Iterator[None]:
    """A pattern's page around its own content (the `with` block): the frame, the meter above,
    the explanation with its key code and the recorded figures below. One function, so that the
    benchmark's frame (bench/frame_app.py, the page without its gallery) renders what the pages
    render, and stays true when this changes."""
    with frame(title=title, path=path):
        meter(path)
        yield
        explanation(text, *code)
        recorded(path)
