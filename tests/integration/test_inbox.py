"""Nothing acknowledged is lost: inbound SMS and delivery reports are stored before the 200.

When the database cannot take the write, the provider gets a 503 (so it sends again); when
the message is stored but handling it fails, the worker handles it later, once.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.messaging.outbox import OutboxPolicy, SentMessage, deliver_due, enqueue_sms
from providers import sms as provider_sms
from storage.models import DeliveryReport, InboundMessage, OutboundMessage
from tests.db_faults import write_lock_held

PHONE = "+6281234567890"


@pytest.fixture
def quick_settings(settings):
    """A database lock is given up on after a fraction of a second, not five."""
    return replace(settings, database_lock_wait_seconds=0.3)


@pytest.fixture
def quick_app(quick_settings, make_app):
    return make_app(quick_settings)


def twilio_post(client, body: str, sid: str):
    return client.post(
        "/twilio/sms",
        data={"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": PHONE, "Body": body},
    )


def android_post(client, body: str, event_id: str):
    event = {
        "event": "sms:received",
        "id": event_id,
        "deviceId": "dev-1",
        "payload": {
            "messageId": "content-derived",
            "message": body,
            "phoneNumber": PHONE,
            "receivedAt": "2026-11-30T10:00:00.000+08:00",
        },
    }
    return client.post("/android/sms", data=json.dumps(event), content_type="application/json")


def replies(db: Session) -> list[str]:
    db.rollback()
    return list(db.scalars(select(OutboundMessage.body).order_by(OutboundMessage.id)))


def test_an_sms_that_cannot_be_stored_gets_503_and_its_retry_is_handled_once(
    quick_settings, quick_app, db: Session
):
    client = quick_app.test_client()
    with write_lock_held(quick_settings):
        refused = android_post(client, "BANTUAN", "evt-1")
        refused_twilio = twilio_post(client, "BANTUAN", "SM" + "1" * 32)
    assert refused.status_code == 503  # SMS Gateway for Android sends it again later
    assert refused_twilio.status_code == 503
    assert db.scalars(select(InboundMessage)).all() == []

    assert android_post(client, "BANTUAN", "evt-1").status_code == 200  # the phone's retry
    assert android_post(client, "BANTUAN", "evt-1").status_code == 200  # and a double
    assert len(replies(db)) == 1
    assert replies(db)[0].startswith("Telepasar")
    stored = db.scalars(select(InboundMessage)).one()
    assert (stored.state, stored.attempts) == ("handled", 1)


def test_a_stored_sms_whose_handling_failed_is_handled_by_the_worker_once(
    app, client, clock, db: Session, monkeypatch
):
    real_handle = provider_sms.handle_inbound

    def broken(*args, **kwargs):
        raise RuntimeError("a bug while handling")

    monkeypatch.setattr(provider_sms, "handle_inbound", broken)
    response = twilio_post(client, "PASAR", "SM" + "2" * 32)
    assert response.status_code == 200  # stored: Twilio must not send it again
    assert ET.fromstring(response.data).findall("Message") == []  # nothing to say yet
    monkeypatch.setattr(provider_sms, "handle_inbound", real_handle)
    assert db.scalars(select(InboundMessage.state)).one() == "pending"
    # Twilio's retry while it is still pending: 503, so that Twilio asks once more later
    # rather than take an empty answer for the reply.
    assert twilio_post(client, "PASAR", "SM" + "2" * 32).status_code == 503

    runner = app.test_cli_runner()
    assert "Inbox" not in runner.invoke(args=["worker", "--once"]).output  # not due yet
    clock.now += dt.timedelta(seconds=30)
    first = runner.invoke(args=["worker", "--once"])
    assert first.exit_code == 0, first.output
    assert "Inbox: 1 handled, 0 to try again." in first.output
    assert "Outbox: 1 sent" in first.output  # the reply went out through the outbox
    assert "Pasar" in replies(db)[0]
    assert "Inbox" not in runner.invoke(args=["worker", "--once"]).output  # once only
    assert twilio_post(client, "PASAR", "SM" + "2" * 32).status_code == 200  # a late retry
    assert len(replies(db)) == 1


def test_the_worker_does_not_answer_what_twilio_answers_itself(
    app, client, clock, db: Session, monkeypatch
):
    real_handle = provider_sms.handle_inbound
    monkeypatch.setattr(provider_sms, "handle_inbound", lambda *a, **k: 1 / 0)
    twilio_post(client, "STOP", "SM" + "3" * 32)
    monkeypatch.setattr(provider_sms, "handle_inbound", real_handle)
    clock.now += dt.timedelta(seconds=30)

    result = app.test_cli_runner().invoke(args=["worker", "--once"])

    assert "Inbox: 1 handled" in result.output
    assert replies(db) == []  # Twilio confirmed the STOP itself
    from storage.models import Customer

    assert db.scalars(select(Customer.opted_out_at)).one() == clock.now


def test_an_sms_that_fails_every_time_is_given_up_and_said_so(
    app, client, clock, db: Session, monkeypatch
):
    monkeypatch.setattr(provider_sms, "handle_inbound", lambda *a, **k: 1 / 0)
    android_post(client, "PASAR", "evt-9")
    import conversations.sms_commands

    monkeypatch.setattr(conversations.sms_commands, "parse", lambda body: 1 / 0)
    runner = app.test_cli_runner()
    for _ in range(app.config["TELEPASAR_SETTINGS"].outbox_max_attempts):
        clock.now += dt.timedelta(hours=1)
        runner.invoke(args=["worker", "--once"])
    db.rollback()
    message = db.scalars(select(InboundMessage)).one()
    assert message.state == "dead"
    assert message.last_error == "ZeroDivisionError: division by zero"


def test_a_delivery_report_that_cannot_be_stored_gets_503(quick_settings, quick_app):
    client = quick_app.test_client()
    with write_lock_held(quick_settings):
        response = client.post(
            "/africastalking/delivery", data={"id": "ATXid_1", "status": "Success"}
        )
    assert response.status_code == 503


def test_a_delivery_report_before_the_send_is_recorded_is_applied_afterwards(
    app, client, clock, db: Session
):
    message = enqueue_sms(db, to=PHONE, body="Halo", kind="reply", now=clock.now)
    db.commit()
    # Twilio reports on its message before our worker has written down Twilio's id for it.
    report = client.post(
        "/twilio/status",
        data={
            "MessageSid": "SM" + "4" * 32,
            "AccountSid": "AC" + "0" * 32,
            "MessageStatus": "delivered",
        },
    )
    assert report.status_code == 204
    waiting = db.scalars(select(DeliveryReport)).one()
    assert waiting.applied_at is None

    class Sender:
        def send(self, to: str, body: str) -> SentMessage:
            return SentMessage(provider_message_id="SM" + "4" * 32)

    deliver_due(
        app.extensions["telepasar_db"].unit_of_work,
        Sender(),
        clock=clock,
        policy=OutboxPolicy(max_attempts=6, lease=dt.timedelta(minutes=1)),
        worker_id="test-worker",
    )
    db.rollback()
    assert db.get(OutboundMessage, message.id).state == "delivered"
    assert db.scalars(select(DeliveryReport.applied_at)).one() == clock.now
