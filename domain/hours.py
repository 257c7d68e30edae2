"""Market hours (is a market open now, when does it open next) and the office's days."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from settings import DEFAULT_TIMEZONE

CLOCK_TIME = re.compile(r"([01][0-9]|2[0-3])[:.][0-5][0-9]")


def clock_time(text: str) -> dt.time:
    """`06:00` (or `06.00`, as Indonesian writes it) as a local time of day, 24-hour;
    ValueError, saying how to write it, for anything else (`06:00+05:00`, `6`, `6 PM`)."""
    if not CLOCK_TIME.fullmatch(text.strip()):
        raise ValueError(f"{text.strip()[:20]!r} is not a time of day: write it like 06:00")
    return dt.time.fromisoformat(text.strip().replace(".", ":"))


def next_opening(
    opens_at: dt.time, closes_at: dt.time, timezone: str, now: dt.datetime
) -> dt.datetime | None:
    """None while the market is open; otherwise its next opening, in the market's local time.

    A market that opens when it closes (`00:00-00:00`) is open around the clock."""
    if opens_at == closes_at:
        return None
    local_now = now.astimezone(ZoneInfo(timezone))
    today_open = local_now.replace(
        hour=opens_at.hour, minute=opens_at.minute, second=0, microsecond=0
    )
    today_close = local_now.replace(
        hour=closes_at.hour, minute=closes_at.minute, second=0, microsecond=0
    )
    if today_open <= local_now < today_close:
        return None
    if local_now < today_open:
        return today_open
    return today_open + dt.timedelta(days=1)


# The office's days (the books, REKAP, today at a glance) are Karangasem's calendar days.
OFFICE_ZONE = ZoneInfo(DEFAULT_TIMEZONE)


def office_day(moment: dt.datetime) -> dt.date:
    """The WITA calendar day a moment falls on."""
    return moment.astimezone(OFFICE_ZONE).date()


def office_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first moment of a WITA day and of the next, as aware times."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=OFFICE_ZONE)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=OFFICE_ZONE)
