"""The directory where each process of one deployment keeps its counts (prometheus_client's
multiprocess mode), made ready before the processes start.

It must be set (PROMETHEUS_MULTIPROC_DIR) before any process imports `prometheus_client`,
and hold no file of a process that no longer runs: those would be added up for ever.
gunicorn's master (`gateway/gunicorn_conf.py`, `on_starting`) and `make run`'s runner
(`gateway/devrun.py`) call `prepare` before they start their processes.
Only the standard library here: the runners import this before anything else.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# prometheus_client's files: counter_1234.db, histogram_1234.db, gauge_livesum_1234.db
PROCESS_FILE = re.compile(r".+_(\d+)\.db")


def prepare(environ: dict[str, str] | os._Environ[str], default: Path) -> Path:
    """Set VARIABLE in `environ` to `default` when it is unset (or empty), create the
    directory, and remove the files of processes that no longer run; returns it."""
    if not environ.get(VARIABLE, "").strip():
        environ[VARIABLE] = str(default)
    directory = Path(environ[VARIABLE])
    directory.mkdir(parents=True, exist_ok=True)
    for file in directory.iterdir():
        found = PROCESS_FILE.fullmatch(file.name)
        if found and not _running(int(found.group(1))):
            file.unlink(missing_ok=True)
    return directory


def ensure_directory(environ: dict[str, str] | os._Environ[str]) -> None:
    """Create VARIABLE's directory if it is set and missing: `prometheus_client` writes a
    process's first file there the moment a metric is made (gunicorn's master imports the
    app's package, so its metrics, before its configuration has run)."""
    if environ.get(VARIABLE):
        Path(environ[VARIABLE]).mkdir(parents=True, exist_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it runs
        return True
    return True
