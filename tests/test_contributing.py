"""CONTRIBUTING.md's layout names every file of the repository, and only files that
exist: a new module fails here until it has its line."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from tests.harness import ROOT

# A line's name column ends before the description column (28); deeper lines continue
# the description above them.
NAME_COLUMN_MAX = 12


def layout_entries() -> list[str]:
    """The paths the Layout block names; a folder's entries are nested under it."""
    text = (ROOT / "CONTRIBUTING.md").read_text()
    block = re.search(r"^## Layout\n\n```\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert block, "CONTRIBUTING.md has a Layout section with one code block"
    entries: list[str] = []
    folders: list[tuple[int, str]] = []
    for line in block.group(1).splitlines():
        indent = len(line) - len(line.lstrip(" "))
        if not line.strip() or indent > NAME_COLUMN_MAX:
            continue
        names = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        while folders and folders[-1][0] >= indent:
            folders.pop()
        parent = folders[-1][1] if folders else ""
        for name in names.split(", "):
            entries.append(parent + name)
            if name.endswith("/"):
                folders.append((indent, parent + name))
    return entries


def ignored_patterns(folder: Path = ROOT) -> list[str]:
    lines = (folder / ".gitignore").read_text().splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and line[0] != "#"]


def repository_files() -> set[str]:
    """The files git would track: the .gitignore patterns left out, the root's and
    those of a top-level folder (transform/'s: dbt's output) under it (no git needed)."""
    ignored = {Path(): [*ignored_patterns(), ".git"]} | {
        f.parent.relative_to(ROOT): ignored_patterns(f.parent) for f in ROOT.glob("*/.gitignore")
    }

    def kept(relative: Path) -> bool:
        return not any(
            fnmatch.fnmatchcase(part, p)
            for base, patterns in ignored.items()
            if relative.is_relative_to(base)
            for part in relative.relative_to(base).parts
            for p in patterns
        )

    return {
        path.relative_to(ROOT).as_posix()
        for path in ROOT.rglob("*")
        if path.is_file() and kept(path.relative_to(ROOT))
    }


def test_the_layout_parser_reads_nesting() -> None:
    entries = layout_entries()
    assert "tap_okta/streams/base.py" in entries
    assert "tests/okta_sim/server.py" in entries
    assert "pyproject.toml" in entries
    assert "uv.lock" in entries
    assert ".github/workflows/ci.yml" in entries


def test_every_file_of_the_repository_is_in_the_layout() -> None:
    files = [e for e in layout_entries() if not e.endswith("/")]
    missing = sorted(
        path for path in repository_files() if not any(fnmatch.fnmatchcase(path, e) for e in files)
    )
    assert not missing, f"add these to CONTRIBUTING.md's Layout: {missing}"


def test_every_file_in_the_layout_exists() -> None:
    present = repository_files()
    folders = {str(Path(p).parent) + "/" for p in present} | {
        parent.as_posix() + "/" for p in present for parent in Path(p).parents
    }
    stale = [
        entry
        for entry in layout_entries()
        if not (entry in folders if entry.endswith("/") else fnmatch.filter(present, entry))
    ]
    assert not stale, f"CONTRIBUTING.md's Layout names what is not there: {stale}"
