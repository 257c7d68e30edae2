"""The metrics' directory made ready at a start: the counts of processes gone are kept in
one archive file a kind, so a total never drops; a live process's file is left alone."""

from __future__ import annotations

import os
import subprocess
import sys

from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

from settings import METRICS_DIRECTORY_VARIABLE as VARIABLE
from settings import shared_metrics_directory
from telemetry.multiprocess import prepare

KEY = mmap_key("telepasar_orders_placed_total", "telepasar_orders_placed_total",
               ["channel", "market"], ["ussd", "AB"], "Orders placed")  # fmt: skip


def a_dead_pid() -> int:
    """The pid of a process that has ended."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def write(path, value: float, key: str = KEY) -> None:
    counts = MmapedDict(str(path))
    counts.write_value(key, value, 0.0)
    counts.close()


def total(directory) -> float:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))
    text = generate_latest(registry).decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "telepasar_orders_placed_total"
    )


def test_a_start_keeps_the_totals_of_processes_gone_and_leaves_live_ones(tmp_path):
    dead, alive = a_dead_pid(), os.getpid()
    write(tmp_path / f"counter_{dead}.db", 7)
    write(tmp_path / f"counter_{alive}.db", 3)
    write(tmp_path / "counter_archive.db", 100)  # of earlier starts
    write(tmp_path / f"gauge_livesum_{dead}.db", 5, mmap_key("g", "g", [], [], "a gauge"))
    before = total(tmp_path)

    prepare(tmp_path)

    assert total(tmp_path) == before == 110
    assert {p.name for p in tmp_path.glob("*.db")} == {"counter_archive.db", f"counter_{alive}.db"}
    prepare(tmp_path)  # a second start changes nothing more
    assert total(tmp_path) == 110


def test_an_unset_or_empty_directory_gets_the_default(tmp_path):
    for environ in ({}, {VARIABLE: ""}, {VARIABLE: "  "}):
        assert shared_metrics_directory(tmp_path / "metrics", environ) == tmp_path / "metrics"
        assert environ[VARIABLE] == str(tmp_path / "metrics")
    assert (tmp_path / "metrics").is_dir()


def test_an_unreadable_file_or_archive_never_stops_a_start(tmp_path, caplog):
    dead = a_dead_pid()
    (tmp_path / f"counter_{dead}.db").write_bytes(b"")  # killed as it made its file
    (tmp_path / "histogram_archive.db").write_bytes(b"\x00\x10")  # damaged
    write(tmp_path / f"histogram_{dead}.db", 4)

    prepare(tmp_path)

    assert {p.name for p in tmp_path.iterdir() if not p.name.startswith(".")} == {
        "counter_archive.db",
        "histogram_archive.db",
        "histogram_archive.db.corrupt",
    }
    assert total(tmp_path) == 4  # the dead histogram's counts, in a new archive
    assert any("cannot be read" in r.getMessage() for r in caplog.records)


def test_without_a_default_an_unset_directory_is_none_and_a_set_one_is_made(tmp_path):
    assert shared_metrics_directory(None, {}) is None
    made = tmp_path / "set" / "but" / "missing"
    assert shared_metrics_directory(None, {VARIABLE: str(made)}) == made and made.is_dir()
