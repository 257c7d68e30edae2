"""The one place Telepasar reads the wall clock.

Everything else is handed the time: the app takes a clock in `create_app(settings,
clock=...)`, and every request, CLI command and worker pass asks that clock (through
`web.current.current_time`) and hands `now` down to the verbs and queries. Tests pass a
fixed clock, so the suite gives the same answers on any date; `tests/unit/test_clock_rule.py`
fails when another module reads the wall clock itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

# A clock tells the current time, timezone-aware, in UTC.
Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """The machine's time, aware, in UTC: the default clock of a running Telepasar."""
    return dt.datetime.now(dt.UTC)
