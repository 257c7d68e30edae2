"""A keyword order end to end on each of the three SMS routes, sent through the real SDKs.

Inbound: each provider's webhook, posted as the provider posts it. Outbound: the outbox
worker with SMS_PROVIDER set to that provider, its SDK pointed at a fake of the provider
on 127.0.0.1 (tests/fake_providers.py), so the SDK's own request building is exercised.
"""

from __future__ import annotations

import hmac
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from domain.messaging.outbox import enqueue_sms
from storage.models import Order, OutboundMessage
from tests import fake_providers as fp
from tests.conftest import MARKET_OPEN
from tests.provider_sms import (
    ANDROID_KEY,
    AT_TOKEN,
    PHONE,
    android_sms,
    at_sms,
    phone_time,
    run_worker,
    twilio_sms,
)
from tests.voice import PUBLIC_BASE_URL, twilio_sid

ORDER_MESSAGES = ["NAMA Ni Made Sari", "ALAMAT Banjar Kauh, Desa Bugbug", "PESAN B04 2", "YA"]


def test_a_keyword_order_over_twilio(app_for, fake, db: Session):
    app = app_for("twilio")
    client = app.test_client()
    replies = [twilio_sms(client, text, f"SM{n:032d}") for n, text in enumerate(ORDER_MESSAGES)]
    assert replies[2].endswith("Total Rp38.000. Balas YA untuk pesan, TIDAK untuk batal.")
    assert replies[3] is None  # the confirmation comes from the outbox

    # No courier is registered: the order is unassigned at once, and its one confirmation
    # says so (never a second SMS taking the first back).
    assert "1 sent" in run_worker(app)

    order = db.scalars(select(Order)).one()
    assert [(r.provider, r.to, r.sender) for r in fake.received] == [
        ("twilio", PHONE, "+15005550006")
    ]
    assert f"Pesanan {order.number} diterima" in fake.received[0].body
    assert fake.received[0].body.endswith(
        "Belum ada kurir yang siap: petugas kami akan menelepon Anda."
    )
    sms = db.scalars(select(OutboundMessage).where(OutboundMessage.kind == "order_update")).first()
    assert sms.state == "sent" and sms.provider_message_id.startswith("SM")


def test_a_keyword_order_over_africastalking(app_for, fake, db: Session):
    app = app_for("africastalking")
    client = app.test_client()
    for n, text in enumerate(ORDER_MESSAGES):
        at_sms(client, text, f"ATXid_{n}")

    # three replies and the confirmation (no courier is registered: it says staff will call)
    assert "4 sent" in run_worker(app)

    bodies = [r.body for r in fake.received]
    assert bodies[2].endswith("Balas YA untuk pesan, TIDAK untuk batal.")
    order = db.scalars(select(Order)).one()
    assert f"Pesanan {order.number} diterima" in bodies[3]
    assert {(r.provider, r.to, r.sender) for r in fake.received} == {
        ("africastalking", PHONE, "TELEPASAR")
    }


def test_a_keyword_order_over_sms_gateway_for_android(app_for, fake, db: Session):
    app = app_for("android")
    client = app.test_client()
    for n, text in enumerate(ORDER_MESSAGES):
        assert android_sms(client, text, f"m{n}").status_code == 200

    assert "4 sent" in run_worker(app)

    order = db.scalars(select(Order)).one()
    assert [r.provider for r in fake.received] == ["android"] * 4
    assert f"Pesanan {order.number} diterima" in fake.received[3].body


def test_a_provider_error_is_retried_with_backoff(app_for, fake, clock, db: Session):
    app = app_for("android")
    client = app.test_client()
    android_sms(client, "BANTUAN", "help-1")
    fake.fail_next = 1
    assert "0 sent, 1 to retry" in run_worker(app)
    message = db.scalars(select(OutboundMessage)).one()
    assert message.state == "pending" and "503" in message.last_error
    clock.now = message.next_try_at
    assert "1 sent" in run_worker(app)
    assert [r.body for r in fake.received] == [message.body]


def test_duplicate_deliveries_make_one_order_and_one_reply(app_for, fake, db):
    app = app_for("twilio")
    client = app.test_client()
    for n, text in enumerate(ORDER_MESSAGES[:2]):
        twilio_sms(client, text, twilio_sid("SM", f"a{n}"))
    first = twilio_sms(client, "PESAN B04 2", twilio_sid("SM", "order"))
    retried = twilio_sms(client, "PESAN B04 2", twilio_sid("SM", "order"))
    # Twilio retried, our first answer lost on the way: the same reply (Twilio sends one).
    assert retried == first
    twilio_sms(client, "YA", twilio_sid("SM", "yes"))
    twilio_sms(client, "YA", twilio_sid("SM", "yes"))
    assert first.startswith("B04 Tomat 2 kg")
    assert db.scalar(select(func.count()).select_from(Order)) == 1

    android = app_for("android").test_client()
    android_sms(android, "STATUS", "dup")
    android_sms(android, "STATUS", "dup")  # the same event delivered twice
    android_sms(android, "STATUS", "other")  # the same words, another event: a new message
    db.rollback()
    replies = db.scalars(select(OutboundMessage.body).where(OutboundMessage.kind == "reply")).all()
    assert len(replies) == 2


@pytest.mark.parametrize(
    "key, age", [("wrong-key", 0), (ANDROID_KEY, 3600)], ids=["bad-signature", "stale"]
)
def test_android_webhooks_must_be_signed_and_fresh(app_for, key, age):
    client = app_for("log").test_client()
    assert android_sms(client, "PASAR", "x", key=key, age=age).status_code == 403


def test_twilio_sms_must_be_signed(app_for):
    client = app_for("log").test_client()
    response = client.post(
        "/twilio/sms", data={"MessageSid": "SM1", "From": PHONE, "Body": "PASAR"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "signed_url, status",
    [
        (PUBLIC_BASE_URL + "/twilio/sms#rc=3&rp=ct,rt,5xx", 200),  # as the README registers it
        (PUBLIC_BASE_URL + "/twilio/sms#rc=9", 403),  # any other fragment is another URL
        ("https://elsewhere.example/twilio/sms", 403),
    ],
)
def test_twilio_sms_registered_with_the_retry_fragment_is_accepted(app_for, signed_url, status):
    client = app_for("log").test_client()
    params = {
        "MessageSid": "SM" + "5" * 32,
        "AccountSid": fp.TWILIO_SID,
        "From": PHONE,
        "Body": "PASAR",
    }
    signature = RequestValidator(fp.TWILIO_TOKEN).compute_signature(signed_url, params)
    response = client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == status


def test_africastalking_sms_needs_the_token(app_for):
    client = app_for("log").test_client()
    response = client.post("/africastalking/sms", data={"from": PHONE, "text": "PASAR", "id": "1"})
    assert response.status_code == 403


def test_twilio_answers_its_own_keywords_and_we_keep_our_record_in_step(app_for, db: Session):
    from storage.models import Customer

    client = app_for("log").test_client()
    # Twilio itself confirms the opt-out.
    assert twilio_sms(client, "STOP", twilio_sid("SM", "stop")) is None
    assert db.scalars(select(Customer.opted_out_at)).one() is not None
    db.rollback()
    assert twilio_sms(client, "START", twilio_sid("SM", "start")) is None
    assert db.scalars(select(Customer.opted_out_at)).one() is None
    reply = twilio_sms(client, "BERHENTI", twilio_sid("SM", "berhenti"))
    assert reply.startswith("Anda tidak akan menerima")


def test_delivery_reports_update_each_message(app_for, fake, db: Session):
    for provider in ("twilio", "africastalking", "android"):
        app = app_for(provider)
        with app.extensions["telepasar_db"].unit_of_work() as session:
            enqueue_sms(
                session, to=PHONE, body=f"Halo lewat {provider}", kind="reply", now=MARKET_OPEN
            )
        run_worker(app)
    db.rollback()
    sent = {m.body.split()[-1]: m for m in db.scalars(select(OutboundMessage))}
    client = app.test_client()

    params = {
        "MessageSid": sent["twilio"].provider_message_id,
        "MessageStatus": "delivered",
        "AccountSid": fp.TWILIO_SID,
    }
    signature = RequestValidator(fp.TWILIO_TOKEN).compute_signature(
        PUBLIC_BASE_URL + "/twilio/status", params
    )
    assert (
        client.post(
            "/twilio/status", data=params, headers={"X-Twilio-Signature": signature}
        ).status_code
        == 204
    )
    assert (
        client.post(
            f"/africastalking/delivery?token={AT_TOKEN}",
            data={
                "id": sent["africastalking"].provider_message_id,
                "status": "Rejected",
                "phoneNumber": PHONE,
                "failureReason": "InvalidPhoneNumber",
            },
        ).status_code
        == 200
    )
    raw = json.dumps(
        {
            "event": "sms:delivered",
            "id": "evt-d",
            "deviceId": "dev-1",
            "payload": {"messageId": sent["android"].provider_message_id, "phoneNumber": PHONE},
        }
    ).encode()
    timestamp = str(phone_time(client))
    signature = hmac.new(ANDROID_KEY.encode(), raw + timestamp.encode(), "sha256").hexdigest()
    client.post(
        "/android/sms",
        data=raw,
        content_type="application/json",
        headers={"X-Signature": signature, "X-Timestamp": timestamp},
    )

    db.rollback()
    states = {
        m.body.split()[-1]: (m.state, m.last_error) for m in db.scalars(select(OutboundMessage))
    }
    assert states == {
        "twilio": ("delivered", None),
        "africastalking": ("failed", "Africa's Talking Rejected: InvalidPhoneNumber"),
        "android": ("delivered", None),
    }
