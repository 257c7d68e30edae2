"""The directory where each process of one machine keeps its counts (prometheus_client's
multiprocess mode), made ready before the processes start.

It must be set (PROMETHEUS_MULTIPROC_DIR: `shared_metrics_directory` in settings.py) before
any process imports `prometheus_client`.
Each process writes files named by its pid (`counter_1234.db`); `/metrics` adds up every
file there. A process that ended leaves its file: its counts are still part of the totals.
gunicorn's master (`gateway/gunicorn_conf.py`) and `make run`'s runner (`gateway/devrun.py`)
call `prepare` before they start their processes: it folds the files of processes no longer
running into one archive file a kind (`counter_archive.db`), so that the totals never drop
(a drop would read as a counter reset, and `increase()` would count the rest again) and the
files do not pile up. It holds the directory's lock meanwhile, which `/metrics` shares
while it reads: a scrape never sees a count twice or not at all. The processes sharing the
directory must share one process-id space (one machine, one container): a pid is how a
file's process is known to be alive.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

# prometheus_client's files: counter_1234.db, histogram_1234.db, gauge_livesum_1234.db
PROCESS_FILE = re.compile(r"(counter|histogram|gauge_\w+?)_(\d+)\.db")
ARCHIVED = ("counter", "histogram")  # totals: kept; a dead process's gauges mean nothing
log = logging.getLogger(__name__)


def prepare(directory: Path) -> None:
    """Fold the files of processes that no longer run into the archive of their kind and
    remove them (a dead process's gauges are only removed)."""
    with locked(directory):  # two runners starting at once take turns; scrapes wait
        dead = []
        for file in sorted(directory.glob("*.db")):
            found = PROCESS_FILE.fullmatch(file.name)
            if found and not _running(int(found.group(2))):
                dead.append((found.group(1), file))
        for kind in ARCHIVED:
            files = [file for file_kind, file in dead if file_kind == kind]
            if files:
                _fold(directory / f"{kind}_archive.db", files)
        for _, file in dead:
            file.unlink(missing_ok=True)


@contextlib.contextmanager
def locked(directory: Path, *, shared: bool = False) -> Iterator[None]:
    """The directory's lock: exclusive while files are folded, shared while `/metrics`
    reads them, so that a scrape never sees a count twice or not at all."""
    with (directory / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield


def _fold(archive: Path, files: list[Path]) -> None:
    """Add every value of the dead processes' `files` to `archive`: written whole beside it,
    then put in its place. An unreadable file (a process killed as it made it) is skipped;
    an unreadable archive is kept aside as `.corrupt` and a new one begun."""
    from prometheus_client.mmap_dict import MmapedDict  # after the variable is set

    partial = archive.with_name(archive.name + ".partial")  # not *.db: never read
    partial.unlink(missing_ok=True)
    if archive.exists() and _values(archive) is not None:
        shutil.copyfile(archive, partial)
    elif archive.exists():
        log.warning("metrics: %s cannot be read; kept as %s.corrupt", archive, archive.name)
        archive.replace(archive.with_name(archive.name + ".corrupt"))
    total = MmapedDict(str(partial))
    try:
        for file in files:
            values = _values(file)
            if values is None:
                log.warning("metrics: %s cannot be read; its counts are lost", file.name)
                continue
            for key, value, timestamp, _ in values:
                before, _ = total.read_value(key)
                total.write_value(key, before + value, timestamp)
    finally:
        total.close()
    os.replace(partial, archive)


def _values(file: Path) -> list[tuple[str, float, float, int]] | None:
    """Every value of `file` as prometheus_client reads it, or None when it cannot (read,
    never opened for writing: a damaged file is not grown or changed)."""
    from prometheus_client.mmap_dict import MmapedDict

    try:
        return list(MmapedDict.read_all_values_from_file(str(file)))
    except Exception:
        return None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it runs
        return True
    return True
