"""The missed-call number speaks only to whom it may, and its call backs never stay stuck.

Only numbers of PHONE_REGION are texted or called back; the how-to SMS waits for the end of
the quiet hours; a replayed ring (the same call id) does nothing; an hourly cap holds however
many numbers ring; a call back whose provider never says how it ended is taken as
unanswered by the worker; its webhooks answer 503 when they cannot store what they carry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.phones import in_region
from simulator.webhooks import AppTransport, Webhooks, new_id
from storage.models import MissedRing, OutboundCall, OutboundMessage
from tests.conftest import MARKET_OPEN
from tests.db_faults import write_lock_held
from tests.integration.test_missed_calls import (
    CUSTOMER,
    MISSED,
    STRANGER,
    calls,
    ring,
    worker,
)
from tests.sms_phones import Phones


def told(db: Session, phone: str) -> list[OutboundMessage]:
    db.rollback()
    return db.scalars(select(OutboundMessage).where(OutboundMessage.to == phone)).all()


@pytest.fixture
def app(route_settings, make_app):
    return make_app(replace(route_settings, missed_call_enabled=True, missed_call_hourly_cap=5))


@pytest.fixture
def hooks(app, clock) -> Webhooks:
    return Webhooks(app.config["TELEPASAR_SETTINGS"], AppTransport(app), clock)


@pytest.mark.parametrize(
    "phone, ours",
    [
        ("+6281234567890", True),
        ("+623632100", True),
        ("+14155550100", False),
        ("+447911123456", False),
        ("+882351234567", False),
    ],
)
def test_only_numbers_of_the_region_are_ours(phone, ours):
    assert in_region(phone, "ID") is ours


@pytest.mark.parametrize("provider", ["twilio", "africastalking"])
@pytest.mark.parametrize("foreign", ["+14155550100", "+447911123456"])
def test_a_ring_from_abroad_is_rejected_and_never_texted(provider, foreign, hooks, db):
    assert ring(hooks, provider, foreign).find("Reject") is not None
    assert told(db, foreign) == []
    assert db.scalars(select(MissedRing.outcome)).all() == ["foreign"]


def test_a_replayed_ring_does_nothing(hooks, db, clock):
    form = {"CallSid": new_id("CA"), "From": STRANGER, "CallStatus": "ringing"}
    for _ in range(6):
        assert hooks.voice("twilio", MISSED["twilio"], form).status == 200
        clock.now += dt.timedelta(minutes=11)  # past the repeat window each time
    assert len(told(db, STRANGER)) == 1
    assert db.scalar(select(func.count()).select_from(MissedRing)) == 1


def test_the_how_to_sms_waits_for_the_end_of_the_quiet_hours(app, hooks, db, clock):
    clock.now = MARKET_OPEN.replace(hour=15, minute=30)  # 23:30 WITA
    ring(hooks, "twilio", STRANGER)
    [message] = told(db, STRANGER)
    assert message.next_try_at == dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)  # 07:00
    worker(app, clock).run_once()
    assert told(db, STRANGER)[0].state == "pending"  # not sent in the night
    clock.now = dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)
    worker(app, clock).run_once()
    assert told(db, STRANGER)[0].state == "sent"


def test_rings_all_night_make_one_how_to_sms_in_the_morning(app, hooks, db, clock):
    clock.now = MARKET_OPEN.replace(hour=13)  # 21:00 WITA
    for _ in range(20):
        ring(hooks, "twilio", STRANGER)
        clock.now += dt.timedelta(minutes=11)  # past the repeat window each time
    assert len(told(db, STRANGER)) == 1


def test_a_call_back_answered_before_it_is_recorded_ringing_counts(app, hooks, db, clock):
    from domain.messaging.callbacks import call_ended

    Phones(app).order_by_sms(CUSTOMER, lines="B04 2")
    ring(hooks, "twilio", CUSTOMER)
    [call] = calls(db)
    db.execute(OutboundCall.__table__.update().values(state="calling", claimed_by="w1"))
    db.commit()
    assert call_ended(db, call, answered=True, now=clock.now)
    db.commit()
    clock.now += dt.timedelta(minutes=10)
    worker(app, clock).run_once()
    db.expire_all()  # `call` was read before our own UPDATEs
    assert calls(db)[0].state == "answered"  # never timed out into an SMS offer
    assert [m for m in told(db, CUSTOMER) if m.kind == "callback_offer"] == []


def test_the_hourly_cap_holds_however_many_numbers_ring(app, hooks, db, clock, caplog):
    strangers = [f"+62812555500{n:02d}" for n in range(8)]
    for phone in strangers:
        ring(hooks, "twilio", phone)
    texted = db.scalar(select(func.count()).where(OutboundMessage.kind == "how_to_order"))
    assert texted == 5
    assert "missed-call cap reached (5 an hour)" in caplog.text
    assert "+62812555500" not in caplog.text  # numbers masked

    health = app.test_client().get("/healthz/worker").get_json()["missed_calls"]
    assert health == {
        "last_hour": 5,
        "hourly_cap": 5,
        "cap_reached": True,
        "rings_not_answered_for_the_cap": 3,
    }
    clock.now += dt.timedelta(hours=1, seconds=1)
    ring(hooks, "twilio", "+6281255559999")
    assert len(told(db, "+6281255559999")) == 1  # a new hour


def make_ringing(app, hooks, clock, db) -> OutboundCall:
    """Ni Made Sari rings; the worker places her call back; it rings."""
    Phones(app).order_by_sms(CUSTOMER, lines="B04 2")
    ring(hooks, "twilio", CUSTOMER)
    worker(app, clock).run_once()
    [call] = calls(db)
    assert call.state == "ringing"
    return call


def test_a_call_back_with_no_word_from_the_provider_becomes_unanswered(app, hooks, db, clock):
    call = make_ringing(app, hooks, clock, db)
    clock.now += dt.timedelta(seconds=299)
    worker(app, clock).run_once()
    assert calls(db)[0].state == "ringing"
    clock.now += dt.timedelta(seconds=2)
    summary = worker(app, clock).run_once().summary()
    assert "Call backs: 1 unanswered (no word in time)." in summary
    assert calls(db)[0].state == "unanswered"
    offers = [m.body for m in told(db, CUSTOMER) if m.kind == "callback_offer"]
    assert len(offers) == 1 and "YA" in offers[0]
    assert call.id == calls(db)[0].id


def test_call_back_webhooks_answer_503_when_they_cannot_store(
    route_settings, make_app, clock, db: Session
):
    locked = replace(route_settings, missed_call_enabled=True, database_lock_wait_seconds=0.3)
    app = make_app(locked)
    hooks = Webhooks(locked, AppTransport(app), clock)
    make_ringing(app, hooks, clock, db)
    [call] = calls(db)
    form = {
        "CallSid": call.provider_call_id,
        "From": "+6236322100",
        "To": CUSTOMER,
        "CallStatus": "no-answer",
    }
    with write_lock_held(locked):
        status = hooks.voice("twilio", f"/twilio/callback/status?call={call.id}", form)
        answered = hooks.voice(
            "twilio", f"/twilio/callback?call={call.id}", {**form, "CallStatus": "in-progress"}
        )
    assert status.status == 503
    assert answered.status == 503
    assert calls(db)[0].state == "ringing"  # nothing half-written: the sweep ends it later


@pytest.mark.parametrize("path", ["/twilio/callback", "/twilio/callback/status"])
@pytest.mark.parametrize("call", ["99999999999999999999999", "-1", "x", "0"])
def test_a_call_back_id_that_names_no_row_is_a_clean_answer(hooks, path, call):
    form = {
        "CallSid": new_id("CA"),
        "From": "+6236322100",
        "To": CUSTOMER,
        "CallStatus": "no-answer",
    }
    answer = hooks.voice("twilio", f"{path}?call={call}", form)
    assert answer.status in (200, 204)


def test_merged_rings_do_not_keep_a_stuck_call_back_alive(app, hooks, db, clock):
    make_ringing(app, hooks, clock, db)
    for _ in range(3):
        clock.now += dt.timedelta(minutes=2)
        ring(hooks, "twilio", CUSTOMER)
    worker(app, clock).run_once()
    assert calls(db)[0].state == "unanswered"  # 6 minutes after it began ringing


def test_a_dead_call_back_is_not_tried_again_while_a_newer_one_waits(app, hooks, db, clock):
    from tests.integration.test_console import logged_in, token

    Phones(app).order_by_sms(CUSTOMER, lines="B04 2")
    ring(hooks, "twilio", CUSTOMER)
    db.execute(OutboundCall.__table__.update().values(state="dead"))
    db.commit()
    clock.now += dt.timedelta(minutes=11)
    ring(hooks, "twilio", CUSTOMER)  # a newer call back, waiting
    dead, waiting = calls(db)
    admin = logged_in(app, "kadek", "admin")
    answer = admin.post(
        f"/console/messages/calls/{dead.id}/retry",
        data={"csrf_token": token(admin, "/console/messages")},
    )
    assert answer.status_code == 302
    page = admin.get("/console/messages").get_data(as_text=True)
    assert "Panggilan balik yang lebih baru ke nomor ini sudah menunggu." in page
    db.expire_all()
    assert [call.state for call in calls(db)] == ["dead", "pending"]
