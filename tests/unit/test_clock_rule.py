"""One clock: no module reads the wall clock except storage/clock.py.

Every "now" comes from the app's clock, so the suite passes on any date and the worker, the
web requests and the tests agree on what time it is. This test reads every Python file of
the project (tests included) and fails on a direct read of the wall clock.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from settings import PROJECT_ROOT

ALLOWED = {Path("storage/clock.py")}
SKIPPED_DIRS = {".venv", ".git", "instance", "node_modules", "__pycache__"}
# Methods that read the wall clock, whatever they are called on (datetime, date, arrow...).
CLOCK_METHODS = {"now", "utcnow", "today"}
# Functions of the `time` module that read the wall clock (monotonic and sleep do not).
TIME_FUNCTIONS = {"time", "time_ns", "localtime", "gmtime", "ctime", "asctime"}


def wall_clock_reads(source: str) -> list[int]:
    """The line numbers where `source` reads the wall clock itself."""
    reads = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            if any(alias.name in TIME_FUNCTIONS for alias in node.names):
                reads.append(node.lineno)
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name, owner = node.func.attr, node.func.value
        if name in CLOCK_METHODS:
            reads.append(node.lineno)
        elif name in TIME_FUNCTIONS and isinstance(owner, ast.Name) and owner.id == "time":
            reads.append(node.lineno)
    return sorted(reads)


def project_files() -> list[Path]:
    return sorted(
        path.relative_to(PROJECT_ROOT)
        for path in PROJECT_ROOT.rglob("*.py")
        if not SKIPPED_DIRS & set(path.relative_to(PROJECT_ROOT).parts)
    )


def test_no_module_reads_the_wall_clock_but_the_clock_itself():
    offenders = {
        str(path): lines
        for path in project_files()
        if path not in ALLOWED
        and (lines := wall_clock_reads((PROJECT_ROOT / path).read_text(encoding="utf-8")))
    }
    assert offenders == {}, "read the time from the app's clock (storage/clock.py) instead"


def test_the_rule_covers_the_whole_project():
    files = {str(path) for path in project_files()}
    assert {
        "storage/clock.py",
        "gateway/worker.py",
        "domain/messaging/outbox.py",
        "settings.py",
    } <= files
    assert "tests/conftest.py" in files


@pytest.mark.parametrize(
    "line",
    [
        "import datetime as dt\nstamp = dt.datetime.now(dt.UTC)",
        "from datetime import datetime\nstamp = datetime.utcnow()",
        "from datetime import date\nday = date.today()",
        "import time\nstamp = time.time()",
        "import time\nstamp = time.time_ns()",
        "from time import time",
        "from sqlalchemy import func\ncolumn_default = func.now()",
    ],
)
def test_the_rule_catches_each_way_of_reading_the_wall_clock(line):
    assert wall_clock_reads(line) != []


@pytest.mark.parametrize(
    "line",
    [
        "import time\ntime.sleep(1)",
        "import time\nstarted = time.monotonic()",
        "now = clock()",
        "import datetime as dt\nwhen = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)",
    ],
)
def test_the_rule_lets_the_clock_be_asked_and_time_be_waited(line):
    assert wall_clock_reads(line) == []
