"""The patterns this app compares: the one list that the navigation, the overview, the meter, the
tests, the benchmarks and the screenshots read.

Adding a pattern is a store module (app/stores/), a page module (pages/) and one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.gallery.model import ImageStore
from app.stores.database_store import DatabaseGalleryState, DatabaseStore
from app.stores.gcs_store import GcsGalleryState, GcsStore
from app.stores.memory_store import MemoryGalleryState, MemoryStore
from app.stores.state_store import Base64GalleryState, StateStore


@dataclass(frozen=True)
class Tradeoffs:
    """One column of the overview's guide to choosing a pattern."""

    payload: str  # what a click costs on the wire
    replicas: str  # what several workers or instances need
    durability: str  # how long a gallery lasts
    complexity: str  # what it takes to build and run
    choose_when: str


@dataclass(frozen=True)
class Pattern:
    path: str  # the page's path; also the key of its benchmark rows and meter figures
    label: str  # in the navigation, on the overview and in charts
    summary: str  # one line (markdown) on the overview
    where: str  # where the image bytes live
    color: str  # the pattern's accent on the overview
    store: type[ImageStore]  # where the page keeps its images (app/stores/)
    state: type  # its @me.stateclass, whose shape every request is checked against
    page: str  # the module whose @me.page serves `path`; app/main.py imports it
    tradeoffs: Tradeoffs
    any_process: bool = True  # any worker or replica can answer a click (no session affinity)
    contrast: bool = False  # the anti-pattern: the benchmark sets it no goals, only shows it


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        path="/base64",
        label="Base64 in state",
        summary="Images as data URLs inside an `@me.stateclass`. Simplest to write; the whole "
        "gallery goes up with every click.",
        where="In Mesop state: in the browser, sent with every click",
        color="#e37400",
        store=StateStore,
        state=Base64GalleryState,
        page="pages.base64_page",
        contrast=True,
        tradeoffs=Tradeoffs(
            payload="the whole state, up, every click",
            replicas="any (state is in the browser)",
            durability="until the tab closes",
            complexity="a list in a state class",
            choose_when="data is small (well under 1 MB in all)",
        ),
    ),
    Pattern(
        path="/memory",
        label="Server memory",
        summary="Images stay in the server process; state holds only a small id. Light clicks, "
        "but it needs session affinity and dies with the process.",
        where="In the server process's memory",
        color="#9334e6",
        store=MemoryStore,
        state=MemoryGalleryState,
        page="pages.memory_page",
        any_process=False,
        tradeoffs=Tradeoffs(
            payload="a few hundred bytes",
            replicas="needs session affinity; a restart loses galleries",
            durability="until evicted, expired or restarted",
            complexity="a bounded cache with eviction",
            choose_when="one process, or affinity, and data you can lose",
        ),
    ),
    Pattern(
        path="/gcs",
        label="Cloud Storage",
        summary="Images live in a bucket; the browser fetches them directly by signed URL. Light "
        "clicks, durable, any replica can answer.",
        where="In a bucket; the browser fetches them itself",
        color="#129eaf",
        store=GcsStore,
        state=GcsGalleryState,
        page="pages.gcs_page",
        tradeoffs=Tradeoffs(
            payload="a few hundred bytes; images bypass Mesop",
            replicas="any",
            durability="until deleted (a lifecycle rule)",
            complexity="a bucket, signing, credentials",
            choose_when="data is large, or must survive, or many replicas serve",
        ),
    ),
    Pattern(
        path="/database",
        label="Database",
        summary="Images in a SQL database (SQLite, or PostgreSQL and Cloud SQL); the app serves "
        "them by URL and the browser caches them. Light clicks, durable, any replica.",
        where="In a SQL database; the app serves them by URL",
        color="#1967d2",
        store=DatabaseStore,
        state=DatabaseGalleryState,
        page="pages.database_page",
        tradeoffs=Tradeoffs(
            payload="a few hundred bytes; images by URL, cached by the browser",
            replicas="any",
            durability="until deleted",
            complexity="two tables and a route; a database you may already run",
            choose_when="you have a database and no bucket, or images are small and few",
        ),
    ),
)

PATHS: tuple[str, ...] = tuple(p.path for p in PATTERNS)
# The patterns with goals first, then the contrast: the order of the benchmark's tables.
GOAL_ORDER: tuple[str, ...] = tuple(p.path for p in sorted(PATTERNS, key=lambda p: p.contrast))


def pattern(path: str) -> Pattern:
    """The pattern served at `path`; KeyError names the path if there is none."""
    for p in PATTERNS:
        if p.path == path:
            return p
    raise KeyError(f"no pattern is served at {path!r}; the patterns are {', '.join(PATHS)}")
