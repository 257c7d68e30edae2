"""Today at a glance: what the call center and the market office look at first.

Orders per market and per channel, the time from order to courier and from order to the
door (median and slowest), orders left without a courier, failed SMS; for one day, and
orders per day over the last seven. Days are Karangasem's (WITA).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from settings import DEFAULT_TIMEZONE
from storage.models import Market, Order, OutboundMessage

LOCAL = ZoneInfo(DEFAULT_TIMEZONE)  # the office's days


@dataclass(frozen=True)
class Durations:
    """Minutes: the median and the slowest; None when nothing was measured."""

    median: float | None
    slowest: float | None

    @classmethod
    def of(cls, minutes: list[float]) -> Durations:
        if not minutes:
            return cls(None, None)
        return cls(round(statistics.median(minutes), 1), round(max(minutes), 1))


@dataclass(frozen=True)
class Glance:
    """One stretch of time (a day, or seven)."""

    orders: int
    per_market: list[tuple[str, int]]
    per_channel: list[tuple[str, int]]
    to_courier: Durations
    to_door: Durations
    unassigned: int
    failed_sms: int


def local_day_start(now: dt.datetime, days_back: int = 0) -> dt.datetime:
    """Midnight in Karangasem, `days_back` days before today, as an aware time."""
    local = now.astimezone(LOCAL)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - dt.timedelta(days=days_back)


def _minutes(start: dt.datetime, end: dt.datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 60)


def glance(session: Session, start: dt.datetime, end: dt.datetime) -> Glance:
    """The figures of the orders placed in [start, end), and of the SMS written then."""
    rows = session.execute(
        select(Market.name, Order.channel, Order.state, Order.placed_at, Order.assigned_at,
               Order.delivered_at, Order.deliver_after)
        .join(Order.market)
        .where(Order.placed_at >= start, Order.placed_at < end)
    ).all()  # fmt: skip
    # An order placed while its market was closed waits for the opening: couriers and the
    # door are measured from then, not across the night.
    began = [max(p, after) if after else p for _, _, _, p, _, _, after in rows]
    to_courier = [_minutes(b, row[4]) for b, row in zip(began, rows, strict=True) if row[4]]
    to_door = [_minutes(b, row[5]) for b, row in zip(began, rows, strict=True) if row[5]]
    failed = session.scalar(
        select(func.count())
        .select_from(OutboundMessage)
        .where(
            OutboundMessage.state.in_(("failed", "dead")),
            OutboundMessage.created_at >= start,
            OutboundMessage.created_at < end,
        )
    )
    return Glance(
        orders=len(rows),
        per_market=Counter(row[0] for row in rows).most_common(),
        per_channel=Counter(row[1] for row in rows).most_common(),
        to_courier=Durations.of(to_courier),
        to_door=Durations.of(to_door),
        unassigned=sum(1 for row in rows if row[2] == "unassigned"),
        failed_sms=failed or 0,
    )


def orders_per_day(session: Session, now: dt.datetime, days: int = 7) -> list[tuple[dt.date, int]]:
    """How many orders each of the last `days` days had, oldest first, today last."""
    start = local_day_start(now, days - 1)
    placed = session.scalars(select(Order.placed_at).where(Order.placed_at >= start)).all()
    counts = Counter(moment.astimezone(LOCAL).date() for moment in placed)
    first = start.astimezone(LOCAL).date()
    return [
        (first + dt.timedelta(days=n), counts.get(first + dt.timedelta(days=n), 0))
        for n in range(days)
    ]
