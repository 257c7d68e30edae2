"""The house documents itself: what the code and the docs cite is in the repository."""

from __future__ import annotations

import re
import subprocess

from settings import PROJECT_ROOT

TEXT_FILES = (
    ".py",
    ".md",
    ".toml",
    ".html",
    ".js",
    ".css",
    ".txt",
    ".cfg",
    ".ini",
    ".yml",
    ".json",
)
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


CITED_PATH = re.compile(r"`([a-z_][\w.-]*(?:/[\w.*<>-]+)+/?)`")
# Never tracked: made by `make run` (the database), or by a person (voice recordings).
MADE_AT_RUN = ("instance/", "audio/")


def test_every_cited_path_is_in_the_repository():
    """A path in backquotes in the README or docs/ (`domain/orders/rules.py`, `console/`) names
    a file or folder of the repository, from its root or from within a room (`texts/id.toml`
    in the row of `voice_prompts/`): a room moved without its docs fails here."""
    tracked = [str(path.relative_to(PROJECT_ROOT)) for path in tracked_text_files()]
    folders = {name[: i + 1] for name in tracked for i, char in enumerate(name) if char == "/"}
    everything = set(tracked) | folders

    def exists(cited: str) -> bool:
        if cited.startswith(MADE_AT_RUN):
            return True
        if "*" in cited or "<" in cited:  # a pattern (`texts/*.toml`): its folder must exist
            first = min(i for i, char in enumerate(cited) if char in "*<")
            cited = cited[: cited.rindex("/", 0, first) + 1]
        return any(name == cited or name.endswith("/" + cited) for name in everything)

    docs = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
    missing = sorted(
        f"{doc.name}: {cited}"
        for doc in docs
        for cited in CITED_PATH.findall(doc.read_text())
        if not exists(cited)
    )
    assert missing == []
