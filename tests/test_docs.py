"""The README stays true: CI runs its test command, and its table lists every setting."""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.harness import ROOT

README = (ROOT / "README.md").read_text()


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    install_and_run, install_and_test = commands
    assert install_and_run.endswith("mesop app/main.py")
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert install_and_test in ci_lines


def test_configuration_table_lists_every_setting() -> None:
    read = set(
        re.findall(
            r'_(?:int|str|database_url)\("([A-Z_]+)"', (ROOT / "app" / "config.py").read_text()
        )
    )
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README, flags=re.MULTILINE))
    assert read and read <= documented, read - documented


# A path in prose or a comment: it starts with one of the repository's top-level folders.
PATH_IN_TEXT = re.compile(
    r"(?<![\w./-])((?:app|pages|tests|bench|docs|scripts|\.ci)/[\w./-]*[\w/])"
)
# A document named alone (no folder): some file of the repository has that name.
BARE_DOCUMENT = re.compile(r"(?<![\w./-])([A-Za-z][\w-]*\.md)\b")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
TEXT_SUFFIXES = {".py", ".md", ".js", ".toml", ".txt", ".cfg", ""}


@functools.cache
def repository_files() -> tuple[Path, ...]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return tuple(ROOT / name for name in listed if Path(name).suffix in TEXT_SUFFIXES)


def named_paths(path: Path) -> Iterator[tuple[int, str, Path]]:
    """(line, as written, where it points) for every repository path the file names."""
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        for match in PATH_IN_TEXT.finditer(line):
            if line[match.end() : match.end() + 1] not in ("{", "*", "<"):  # a pattern, not a path
                yield number, match.group(1), ROOT / match.group(1).rstrip(".")
        for name in BARE_DOCUMENT.findall(line):
            same_name = [f for f in repository_files() if f.name == name]
            yield number, name, same_name[0] if same_name else ROOT / name
        if path.suffix == ".md":
            for target in MARKDOWN_LINK.findall(line):
                if "://" not in target and not target.startswith("mailto:"):
                    yield number, target, path.parent / target


def ignored_by_git(path: Path) -> bool:
    """Made at run time (the reload trigger, results scratch space): named, never committed."""
    check = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT)
    return check.returncode == 0


def test_every_repository_file_named_in_docs_and_comments_exists() -> None:
    missing = [
        f"{path.relative_to(ROOT)}:{number}: {written}"
        for path in repository_files()
        if path.is_file()
        for number, written, target in named_paths(path)
        if not target.exists() and not ignored_by_git(target)
    ]
    assert missing == []
