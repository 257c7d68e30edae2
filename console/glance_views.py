"""Today at a glance: figures for today and the last seven days; charts of bars with their
whole labels (days, markets by name, channels by name), each bar an inline SVG; today's money
and what the SMS sent today cost."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from console import blueprint, state_word
from console.views import LogoutForm
from domain.hours import office_day, office_day_bounds
from domain.office.books import day_money, sms_spend
from domain.office.figures import glance, local_day_start, orders_per_day
from web.current import current_database, current_settings, current_time

BAR_HEIGHT = 100  # the longest bar of a chart, in its SVG's units (a percentage)


@blueprint.get("/glance")
def today() -> ResponseReturnValue:
    now = current_time()
    with current_database().readers() as session:
        today = glance(session, local_day_start(now), now)
        week = glance(session, local_day_start(now, 6), now)
        days = orders_per_day(session, now)
        money = day_money(session, office_day(now))
        start, end = office_day_bounds(office_day(now))
        spend = sms_spend(session, start, end, current_settings().sms_prices)
    return render_template(
        "console/glance.html",
        today=today,
        week=week,
        money=money,
        spend=spend,
        day_bars=bars([(day.strftime("%d/%m"), count) for day, count in days]),
        market_bars=bars(week.per_market),
        channel_bars=bars(
            [(state_word("channel", name), count) for name, count in week.per_channel]
        ),
        logout_form=LogoutForm(),
    )


def bars(values: list[tuple[str, int]]) -> list[dict]:
    """Bars for a chart: a label, a value and a length (0-100) scaled to the longest."""
    tallest = max((value for _, value in values), default=0) or 1
    return [
        {"label": label, "value": value, "height": round(BAR_HEIGHT * value / tallest)}
        for label, value in values
    ]
