"""One request at a time in one process: what a hop costs without the server and the load.

`.venv/bin/python bench/in_process.py` prints milliseconds a request through Flask's test
client for the stateless baseline, a USSD first dial and a USSD mid-order hop (the same
prepared requests as `make bench`, on a fresh SQLite database with the demo catalog), and
microseconds for the hop's one read through a Session against through the driver
(`storage/driver.py`). bench/NOTES.md quotes its figures; rerun it on your machine.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import baseline  # noqa: E402
from bench import run as bench  # noqa: E402
from conversations.queries import HOP_ROW  # noqa: E402
from gateway import create_app  # noqa: E402

WARM, MEASURED = 400, 2_000


def per_call(work: Callable[[], object], times: int) -> float:
    """Seconds one call of `work` takes, on average over `times` calls."""
    started = time.perf_counter()
    for _ in range(times):
        work()
    return (time.perf_counter() - started) / times


def per_request(client, lines: list[tuple[str, str, str]]) -> float:
    """Milliseconds a request, over MEASURED of `lines` after WARM of them."""
    queue = iter(lines)

    def post() -> None:
        path, _, body = next(queue)
        answer = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
        assert answer.status_code == 200, answer.data

    per_call(post, WARM)
    return per_call(post, MEASURED) * 1000


def main() -> None:
    logging.disable(logging.WARNING)
    settings = bench.prepared(bench.sqlite_url(Path(tempfile.mkdtemp()), "hops"), large=False)
    app = create_app(settings)
    client = app.test_client()
    line = ("/menu", "", bench.form(CallSid="CA1", Digits="1"))
    print(f"baseline           {per_request(baseline.app.test_client(), [line] * 3000):.3f} ms")
    print(f"USSD first dial    {per_request(client, bench.ussd_first_dials()):.3f} ms")
    print(f"USSD mid-order hop {per_request(client, bench.ussd_mid_order()):.3f} ms")

    database = app.extensions["telepasar_db"]
    key = {"channel": "ussd", "session_key": "ATUid_m1"}

    def through_a_session() -> None:
        with database.readers() as session:
            session.execute(HOP_ROW.statement, key).first()

    def through_the_driver() -> None:
        database.driver.first(HOP_ROW, **key)

    for name, read in (("a Session", through_a_session), ("the driver", through_the_driver)):
        per_call(read, WARM)
        print(f"the hop's read through {name}: {per_call(read, 5 * MEASURED) * 1e6:.0f} us")


if __name__ == "__main__":
    main()
