"""Market hours in Amlapura time (WITA, UTC+8)."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.hours import next_opening

WITA = dt.timezone(dt.timedelta(hours=8))
OPENS, CLOSES = dt.time(6, 0), dt.time(14, 0)


@pytest.mark.parametrize(
    "local, expected",
    [
        (
            dt.datetime(2026, 11, 30, 5, 59, tzinfo=WITA),
            dt.datetime(2026, 11, 30, 6, 0, tzinfo=WITA),
        ),
        (dt.datetime(2026, 11, 30, 6, 0, tzinfo=WITA), None),
        (dt.datetime(2026, 11, 30, 13, 59, tzinfo=WITA), None),
        (
            dt.datetime(2026, 11, 30, 14, 0, tzinfo=WITA),
            dt.datetime(2026, 12, 1, 6, 0, tzinfo=WITA),
        ),
        (
            dt.datetime(2026, 12, 31, 23, 30, tzinfo=WITA),
            dt.datetime(2027, 1, 1, 6, 0, tzinfo=WITA),
        ),
    ],
)
def test_next_opening(local, expected):
    assert next_opening(OPENS, CLOSES, "Asia/Makassar", local.astimezone(dt.UTC)) == expected


def test_a_market_that_opens_when_it_closes_is_open_around_the_clock():
    wita = dt.timezone(dt.timedelta(hours=8))
    for hour in (0, 5, 13, 23):
        moment = dt.datetime(2026, 12, 1, hour, 59, tzinfo=wita)
        assert next_opening(dt.time(0), dt.time(0), "Asia/Makassar", moment) is None
