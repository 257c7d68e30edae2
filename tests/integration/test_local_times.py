"""Local times: the market's own zone wherever a time is shown, one default, and times read
back from the database (UTC) printed as the people there read them."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.office.figures import glance, local_day_start
from settings import DEFAULT_TIMEZONE
from storage.models import Market, Order
from tests.conftest import MARKET_CLOSED
from tests.integration.test_console import CUSTOMER, logged_in
from tests.sms_phones import Phones
from voice_prompts import Text, When, default_catalog

# Tuesday 1 December 2026, 06:00 WITA: the opening after MARKET_CLOSED, as the database
# gives it back (UTC).
TUESDAY_OPENING_UTC = dt.datetime(2026, 11, 30, 22, 0, tzinfo=dt.UTC)


def test_a_time_read_back_in_utc_is_written_in_the_markets_time():
    text = Text.of("sms.next_later", when=When(TUESDAY_OPENING_UTC))
    written = default_catalog().render(text, "id")
    assert "Selasa 06.00" in written and "Senin" not in written
    jakarta = default_catalog().render(
        Text.of("sms.next_later", when=When(TUESDAY_OPENING_UTC, "Asia/Jakarta")), "id"
    )
    assert "Selasa 05.00" in jakarta  # a market in WIB says its own time


def test_a_when_kept_in_a_conversation_keeps_its_zone():
    kept = Text.of("done.later", when=When(TUESDAY_OPENING_UTC, "Asia/Jakarta")).to_dict()
    assert Text.from_dict(kept).params["when"] == When(TUESDAY_OPENING_UTC, "Asia/Jakarta")


def test_a_market_made_without_a_zone_has_the_one_default(db: Session):
    assert set(db.scalars(select(Market.timezone))) == {DEFAULT_TIMEZONE}


def test_the_console_shows_times_from_the_database_in_local_time(app, clock, db: Session):
    Phones(app).order_by_sms(CUSTOMER, lines="B04 1")  # placed 10.00 WITA (02:00 UTC)
    operator = logged_in(app, "wayan", "operator")
    caller = operator.get(f"/console/callers?phone={CUSTOMER}").get_data(as_text=True)
    assert "30/11 10.00" in caller
    admin = logged_in(app, "kadek", "admin")
    assert "30/11 10.00" in admin.get("/console/staff").get_data(as_text=True)  # last login
    thread = admin.get(f"/console/messages/thread?phone={CUSTOMER}").get_data(as_text=True)
    assert "30/11 10.00" in thread


def test_an_order_placed_at_night_is_timed_from_the_opening(app, clock, db: Session):
    clock.now = MARKET_CLOSED  # Monday 16.00 WITA: waits for Tuesday 06.00
    phones = Phones(app)
    number = phones.order_by_sms(CUSTOMER, lines="B04 1")
    db.rollback()
    order = db.scalars(select(Order).where(Order.number == number)).one()
    assert order.deliver_after == TUESDAY_OPENING_UTC
    db.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(state="assigned", assigned_at=TUESDAY_OPENING_UTC + dt.timedelta(minutes=10))
    )
    db.commit()
    day = local_day_start(MARKET_CLOSED)
    figures = glance(db, day, day + dt.timedelta(days=1))
    assert figures.to_courier.median == 10.0  # not 14 hours and 10 minutes


def test_quiet_hours_default_to_the_one_zone(settings):
    from domain.messaging.callbacks import QuietHours

    assert QuietHours.parse(replace(settings).callback_quiet_hours).timezone == DEFAULT_TIMEZONE
