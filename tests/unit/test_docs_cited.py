"""The house documents itself: what the code and the docs cite is in the repository."""

from __future__ import annotations

import re
import subprocess

from settings import PROJECT_ROOT

TEXT_FILES = (".py", ".md", ".toml", ".html", ".js", ".css", ".txt", ".cfg", ".ini")
OUTSIDE = re.compile(r"\b(DESIGN|FACTS|STYLE)\.md\b|\.\./shared")
CITED_DOC = re.compile(r"\bdocs/([A-Z][A-Z_]*\.md)\b")


def tracked_text_files() -> list:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    names = [n for n in listed if n.endswith(TEXT_FILES) or n in ("Makefile", ".ci/run")]
    return [PROJECT_ROOT / name for name in names if (PROJECT_ROOT / name).is_file()]


def test_nothing_sends_a_reader_outside_the_repository():
    citing = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for path in tracked_text_files()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert citing == []


def test_every_cited_doc_exists():
    missing = {
        f"docs/{name}"
        for path in tracked_text_files()
        for name in CITED_DOC.findall(path.read_text(errors="replace"))
        if not (PROJECT_ROOT / "docs" / name).is_file()
    }
    assert missing == set()
