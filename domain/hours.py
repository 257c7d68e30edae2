"""Market hours: is a market open now, and if not, when does it open next."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def next_opening(
    opens_at: dt.time, closes_at: dt.time, timezone: str, now: dt.datetime
) -> dt.datetime | None:
    """None while the market is open; otherwise its next opening, in the market's local time."""
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
