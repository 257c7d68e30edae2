"""The directory where each process of one machine keeps its counts (prometheus_client's
multiprocess mode), made ready before the processes start.

It must be set (PROMETHEUS_MULTIPROC_DIR) before any process imports `prometheus_client`.
Each process writes files named by its pid (`counter_1234.db`); `/metrics` adds up every
file there. A process that ended leaves its file: its counts are still part of the totals.
gunicorn's master (`gateway/gunicorn_conf.py`) and `make run`'s runner (`gateway/devrun.py`)
call `prepare` before they start their processes: it folds the files of processes no longer
running into one archive file a kind (`counter_archive.db`), so that the totals never drop
(a drop would read as a counter reset, and `increase()` would count the rest again) and the
files do not pile up. The processes sharing the directory must share one process-id space
(one machine, one container): a pid is how a file's process is known to be alive.
"""

from __future__ import annotations

import fcntl
import os
import re
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# prometheus_client's files: counter_1234.db, histogram_1234.db, gauge_livesum_1234.db
PROCESS_FILE = re.compile(r"(counter|histogram|gauge_\w+?)_(\d+)\.db")
ARCHIVED = ("counter", "histogram")  # totals: kept; a dead process's gauges mean nothing


def prepare(environ: dict[str, str] | os._Environ[str], default: Path) -> Path:
    """Set VARIABLE in `environ` to `default` when it is unset (or empty), create the
    directory, and remove the files of processes that no longer run; returns it."""
    if not environ.get(VARIABLE, "").strip():
        environ[VARIABLE] = str(default)
    directory = Path(environ[VARIABLE])
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as lock:  # two runners starting at once take turns
        fcntl.flock(lock, fcntl.LOCK_EX)
        for file in sorted(directory.iterdir()):
            found = PROCESS_FILE.fullmatch(file.name)
            if found and not _running(int(found.group(2))):
                if found.group(1) in ARCHIVED:
                    _fold_into(directory / f"{found.group(1)}_archive.db", file)
                file.unlink(missing_ok=True)
    return directory


def _fold_into(archive: Path, dead: Path) -> None:
    """Add every value of the dead process's file to the archive file of its kind."""
    from prometheus_client.mmap_dict import MmapedDict  # after VARIABLE is set

    values = MmapedDict.read_all_values_from_file(str(dead))
    total = MmapedDict(str(archive))
    try:
        for key, value, timestamp, _ in values:
            before, _ = total.read_value(key)
            total.write_value(key, before + value, timestamp)
    finally:
        total.close()


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
