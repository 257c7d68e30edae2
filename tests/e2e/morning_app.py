"""The gateway for gunicorn on a clock that starts on a market morning and runs on from there,
so that a browser test's order is offered to couriers at once whatever the machine's date.

`gunicorn 'tests.e2e.morning_app:app()'`; settings from the environment, as in production.
"""

from __future__ import annotations

import datetime as dt
import time

from flask import Flask

from gateway import create_app
from settings import Settings

# Monday 30 November 2026, 10:00 WITA: every demo market is open (06:00-14:00).
MORNING = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


class RunningClock:
    """MORNING, plus the time this process has been running."""

    def __init__(self, start: dt.datetime) -> None:
        self.start, self.started = start, time.monotonic()

    def __call__(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=time.monotonic() - self.started)


def app() -> Flask:
    return create_app(Settings.from_env(), clock=RunningClock(MORNING))
