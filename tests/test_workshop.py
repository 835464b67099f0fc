"""The workshop (docs/workshop.md) works as written.

Every solution patch in docs/workshop/solutions/ applies to the current tree, passes the linters
and does what its exercise asks; every measured figure the prose quotes is the one in
bench/results. Why both: a workshop is read months after it was written, by someone who types
exactly what it says, and the code it patches keeps moving.

Patches are applied to a copy of the repository (its tracked and new files, as a clone would have
them), never to the working tree, so this runs beside anyone's edits.

Quoted figures: a comment `<!-- figures: SOURCE: NAME NAME ... -->` says where the bold sizes
after it (up to the next blank line) come from, in order. A plain figure must read exactly as
DevTools prints the result (`human_bytes` in app/units.py: "4.9 MB", "367 kB"); "about X" must
be within 5 % of it. Every bold size in the workshop stands under such a comment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.units import human_bytes
from bench.protocol import Session
from tests.harness import ROOT, serve

WORKSHOP = ROOT / "docs" / "workshop.md"
README = ROOT / "README.md"
SOLUTIONS = ROOT / "docs" / "workshop" / "solutions"
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent

MARKER = re.compile(
    r"<!-- figures: (?P<source>[^:]+): (?P<names>[\w ]+) -->(?P<text>.*?)"
    r"(?=\n\n|\n\s*<!-- figures:|\Z)",
    re.S,
)
SIZE = re.compile(r"\*\*(?P<about>about )?(?P<number>\d[\d,.]*) (?P<unit>B|kB|MB|GB)\*\*")
UNITS = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}
ABOUT = 0.05

# The clicks the workshop's checkpoints quote; a checkpoint that loses its comment fails here.
QUOTED_SOURCES = {"/base64 12", "/base64 48", "/memory 12", "/gcs 12", "/database 12",
                  "/base64 12 state-memory", "memory_cap", "exercise-3"}  # fmt: skip


# --- the repository, copied and patched ---


def copy_repository(dest: Path) -> Path:
    """The repository's files as a clone would have them (tracked, and new but not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is left out
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    # Its own repository, so that `git apply` takes paths from here even inside another one.
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    return dest


def apply(copy: Path, patch: Path) -> None:
    done = subprocess.run(["git", "apply", str(patch)], cwd=copy, capture_output=True, text=True)
    assert done.returncode == 0, f"{patch.name} does not apply: {done.stderr}"


def patched(copy: Path, *patches: str) -> Path:
    """The copy with these patches of docs/workshop/solutions/ applied, lint-clean."""
    for name in patches:
        apply(copy, SOLUTIONS / name)
    lint(copy)
    return copy


def lint(copy: Path) -> None:
    for command in (["check", "."], ["format", "--check", "."]):
        done = subprocess.run([str(BIN / "ruff"), *command], cwd=copy, capture_output=True,
                              text=True)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr


def pytest_in(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=copy, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return copy_repository(tmp_path / "repo")


# --- quoted figures ---


def quotes(doc: Path = WORKSHOP) -> Iterator[tuple[str, str, str]]:
    """(source, name, figure as written) for every figure a document marks (up to the next blank
    line or the next marker)."""
    for marker in MARKER.finditer(doc.read_text()):
        names = marker["names"].split()
        figures = [m.group(0).strip("*") for m in SIZE.finditer(marker["text"])]
        assert len(figures) == len(names), f"{marker.group(0)[:60]}...: {figures} for {names}"
        yield from ((marker["source"].strip(), n, f) for n, f in zip(names, figures, strict=True))


def quoted(source: str, name: str) -> str:
    found = [figure for s, n, figure in quotes() if (s, n) == (source, name)]
    assert found, f"the workshop quotes no {name} for {source}"
    return found[0]


def matches(figure: str, value: float) -> bool:
    """As the prose rounds: exactly as DevTools prints `value`, or within 5 % for "about"."""
    size = SIZE.fullmatch(f"**{figure}**")
    assert size, figure
    if not size["about"]:
        return human_bytes(value) == figure
    written = float(size["number"].replace(",", "")) * UNITS[size["unit"]]
    return abs(value - written) <= ABOUT * written


def result(source: str, name: str) -> float:
    """The figure bench/results holds for a source ("/gcs 12", "/base64 12 state-memory",
    "memory_cap") and a name (up, down, images; gallery, galleries2, cap, held, grown)."""
    if source == "memory_cap":
        cap = json.loads((RESULTS / "memory_cap.json").read_text())
        first, last = cap["rows"][0], cap["rows"][-1]
        gallery = first["held_bytes"] / first["held_galleries"]  # the 12 samples, held
        return {"gallery": gallery, "galleries2": 2 * gallery, "cap": cap["cap_bytes"],
                "held": last["held_bytes"], "grown": last["rss_above_start"]}[name]  # fmt: skip
    path, images, *variant = source.split()
    rows = json.loads((RESULTS / "payload.json").read_text())["rows"]
    (row,) = [r for r in rows if (r["path"], r["images"], r.get("variant", "default"))
              == (path, int(images), variant[0] if variant else "default")]  # fmt: skip
    return row[{"up": "select_up", "down": "select_down", "images": "select_media"}[name]]


def wrong_figures(quoted_figures: list[tuple[str, str, str]]) -> list[str]:
    return [
        f"{source} {name}: the text says {figure}, bench/results {human_bytes(value)}"
        for source, name, figure in quoted_figures
        if source != "exercise-3"  # measured by that exercise's check, below
        for value in [result(source, name)]
        if not matches(figure, value)
    ]


def test_the_figures_the_workshop_quotes_are_the_benchmarks() -> None:
    quoted_figures = list(quotes())
    assert {source for source, _, _ in quoted_figures} >= QUOTED_SOURCES
    assert wrong_figures(quoted_figures) == []


def test_the_figures_the_readme_quotes_are_the_benchmarks() -> None:
    """The README marks its measured figures the same way; every bold size is marked."""
    quoted_figures = list(quotes(README))
    assert {"/gcs 12", "/database 12", "/base64 12", "/base64 12 state-memory"} <= {
        source for source, _, _ in quoted_figures
    }
    assert wrong_figures(quoted_figures) == []
    text = README.read_text()
    assert len(SIZE.findall(text)) == sum(
        len(SIZE.findall(m["text"])) for m in MARKER.finditer(text)
    )


def test_every_bold_size_in_the_workshop_is_a_marked_figure() -> None:
    """A measured figure quoted without a marker would escape the test above."""
    text = WORKSHOP.read_text()
    marked = sum(len(SIZE.findall(m["text"])) for m in MARKER.finditer(text))
    assert len(SIZE.findall(text)) == marked


def test_the_rounding_rule_catches_a_wrong_figure() -> None:
    assert matches("4.9 MB", 4_875_608) and not matches("4.8 MB", 4_875_608)
    assert matches("about 900 B", 876) and not matches("about 900 B", 1_000)


def minutes(pattern: str) -> list[int]:
    return [int(m) for m in re.findall(pattern, WORKSHOP.read_text(), flags=re.MULTILINE)]


def test_the_steps_and_the_exercises_take_the_time_the_workshop_announces() -> None:
    """Each step's heading gives its minutes; they add up to the title's, and the exercises' to
    theirs, so a step added or stretched shows up as a wrong total."""
    (total,) = minutes(r"^# .*\((\d+) minutes\)$")
    steps = minutes(r"^## Step \d+ · .*\((\d+) minutes\)$")
    assert len(steps) >= 5 and sum(steps) == total, steps
    (exercise_total,) = minutes(r"^## Exercises \((\d+) minutes\)$")
    exercises = minutes(r"^### Exercise \d+ · .*\((\d+) minutes\)$")
    assert exercises and sum(exercises) == exercise_total, exercises


# --- the exercises' solutions ---


def check_exercise_1(copy: Path, tmp: Path) -> None:
    """/base64 with its images in server memory: a select click at 12 images sends a few hundred
    bytes instead of 4.9 MB, state holds no image, and each tab has its own gallery."""
    patched(copy, "exercise-1.patch")
    with serve("gunicorn", env={"GCS_EMULATOR_DATA_DIR": str(tmp / "gcs")}, log_dir=tmp,
               cwd=copy) as server:  # fmt: skip
        tab, other = Session(server.url, "/base64"), Session(server.url, "/base64")
        try:
            tab.init()
            (add,) = tab.find("Add sample images")
            tab.click(add)
            tab.refresh_tree()
            thumbnails = tab.find("Thumbnail")
            assert len(thumbnails) == 12
            select = tab.click(thumbnails[0])
            assert select.bytes_up < 2_000, select.bytes_up  # 4.9 MB before
            assert not any("data:image" in state for state in tab.states)
            other.init()
            assert other.find("Thumbnail") == []
            (clear,) = tab.find("Clear gallery")
            tab.click(clear)
            tab.refresh_tree()
            assert tab.find("Thumbnail") == []
        finally:
            tab.close()
            other.close()


def check_exercise_2(copy: Path, tmp: Path) -> None:
    """The starter signs every URL afresh (the signer's cache tests fail); the solution brings
    the repository's own signer back, and they pass."""
    started = patched(copy_repository(tmp / "started"), "exercise-2-start.patch")
    assert pytest_in(started, "tests/test_signing.py").returncode == 1  # tests failed
    patched(copy, "exercise-2-start.patch", "exercise-2.patch")
    assert (copy / "app/gcs/signing.py").read_text() == (ROOT / "app/gcs/signing.py").read_text()
    run = pytest_in(copy, "tests/test_signing.py")
    assert run.returncode == 0, run.stdout[-2000:]


def check_exercise_3(copy: Path, tmp: Path) -> None:
    """Only thumbnails in state: a select click at 12 images sends what the workshop says."""
    patched(copy, "exercise-3.patch")
    with serve("gunicorn", env={"GCS_EMULATOR_DATA_DIR": str(tmp / "gcs")}, log_dir=tmp,
               cwd=copy) as server:  # fmt: skip
        tab = Session(server.url, "/base64")
        try:
            tab.init()
            (add,) = tab.find("Add sample images")
            tab.click(add)
            tab.refresh_tree()
            select = tab.click(tab.find("Thumbnail")[0])
        finally:
            tab.close()
    figure = quoted("exercise-3", "up")
    assert matches(figure, select.bytes_up), f"measured {human_bytes(select.bytes_up)}"


MEDIA_CHECK = """
import hashlib, os, sys
from app.database import engine as db, media
from app.database.schema import blobs, items
assert media.__file__.startswith(os.getcwd()), media.__file__  # the patched copy's
jpeg = os.urandom(1000)
sha = hashlib.sha256(jpeg).hexdigest()
with db.get().engine.begin() as connection:
    connection.execute(blobs.insert().values(sha256=sha, jpeg=jpeg, size_bytes=len(jpeg)))
    connection.execute(items.insert().values(
        gallery_id="A" * 22, key="k", position=1, name="a.jpg", display=sha, thumb=sha,
        width=1, height=1, size_bytes=len(jpeg)))
def get(**headers):
    answer = {}
    def start(status, response_headers):
        answer.update(status=status, headers=dict(response_headers))
    environ = {"PATH_INFO": media.media_url("A" * 22, sha), "REQUEST_METHOD": "GET", **headers}
    body = b"".join(media.mount(None)(environ, start))
    return answer["status"], answer["headers"], body
status, headers, body = get()
assert (status, headers["Cache-Control"], body) == ("200 OK", "no-cache", jpeg), headers
status, headers, body = get(HTTP_IF_NONE_MATCH=headers["ETag"])
assert (status, body) == ("304 Not Modified", b""), status
"""


def check_exercise_5(copy: Path, tmp: Path) -> None:
    """The route now tells the browser to ask before each use, and answers that question with
    an empty 304: what the worked answer's request counts rest on."""
    patched(copy, "exercise-5.patch")
    done = subprocess.run(
        [sys.executable, "-c", MEDIA_CHECK], cwd=copy, capture_output=True, text=True,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/media.sqlite3"}, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


CHECKS: dict[str, Callable[[Path, Path], None]] = {
    "exercise-1.patch": check_exercise_1,
    "exercise-2.patch": check_exercise_2,
    "exercise-3.patch": check_exercise_3,
    "exercise-5.patch": check_exercise_5,
}
STARTERS = {"exercise-2-start.patch"}  # applied by their solution's check


def test_every_patch_is_in_the_workshop_and_checked() -> None:
    on_disk = {p.name for p in SOLUTIONS.glob("*.patch")}
    named = set(re.findall(r"docs/workshop/solutions/([\w-]+\.patch)", WORKSHOP.read_text()))
    assert on_disk == named == set(CHECKS) | STARTERS


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_the_solution_applies_passes_lint_and_does_what_the_exercise_asks(
    name: str, copy: Path, tmp_path: Path
) -> None:
    CHECKS[name](copy, tmp_path)


def test_a_patch_that_no_longer_fits_the_code_is_caught(copy: Path, tmp_path: Path) -> None:
    """The helper above fails on a stale patch, rather than skipping it."""
    stale = tmp_path / "stale.patch"
    text = (SOLUTIONS / "exercise-5.patch").read_text()
    stale.write_text(text.replace("CHUNK = 64 * 1024", "CHUNK = 32 * 1024"))
    with pytest.raises(AssertionError, match="does not apply"):
        apply(copy, stale)
