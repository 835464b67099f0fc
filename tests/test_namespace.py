"""One namespace: the project installs two packages, `app` and `pages`, and no generic top-level
names (`config`, `gallery`, ...) that would collide with PyPI packages."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

from tests.harness import ROOT

# Every module and package inside app/ (config, errors, gallery, gcs, layout, ...): none of them
# may be importable under its bare name.
INNER_NAMES = sorted(
    {p.stem for p in (ROOT / "app").glob("*.py") if p.stem.isidentifier() and p.stem != "__init__"}
    | {p.parent.name for p in (ROOT / "app").glob("*/__init__.py")}
)


def test_the_project_installs_exactly_app_and_pages() -> None:
    ours = {
        top
        for top, dists in importlib.metadata.packages_distributions().items()
        if "mesop-performance-patterns" in dists
    }
    assert ours == {"app", "pages"}


def test_from_outside_the_repository_only_the_two_packages_import(tmp_path) -> None:
    """Run where neither the repository nor app/ is the working directory or on sys.path: an
    inner name resolves to nothing of this project (a PyPI package of that name may exist)."""
    code = f"""
import importlib.util, json, sys
import app.config, app.gallery.view, pages
root = {str(ROOT)!r}
leaked = {{}}
for name in {INNER_NAMES!r}:
    spec = importlib.util.find_spec(name)
    origin = (spec.origin or "") if spec else ""
    locations = list(spec.submodule_search_locations or []) if spec else []
    if origin.startswith(root) or any(p.startswith(root) for p in locations):
        leaked[name] = origin or locations
print(json.dumps(leaked))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "config" in INNER_NAMES and "gallery" in INNER_NAMES
    assert result.stdout.strip().splitlines()[-1] == "{}"


def test_imports_are_absolute_under_app_or_pages() -> None:
    """No module of the app or its pages imports a sibling by a bare name."""
    offenders = []
    for path in [*(ROOT / "app").rglob("*.py"), *(ROOT / "pages").rglob("*.py")]:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            words = line.split()
            if len(words) >= 2 and words[0] in ("import", "from") and words[1] in INNER_NAMES:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
