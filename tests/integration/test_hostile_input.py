"""What an attacker or a confused user sends, answered with a valid reply (issue 11, part).

Control characters typed into an SMS never make a TwiML reply invalid; a lone surrogate or a
NUL in a message is stored (as U+FFFD), not lost; a body over 64 KB is refused with 413; the
console's CSV upload has its own larger limit; a captured signed Twilio request cannot be
replayed as a new one; ids of another shape than the provider's are refused.
"""

from __future__ import annotations

import hmac
import json
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from storage.models import Conversation, InboundMessage, Order
from tests import fake_providers as fp
from tests.provider_sms import ANDROID_KEY, AT_TOKEN, android_sms, phone_time, twilio_sms
from tests.voice import PUBLIC_BASE_URL, TwilioCall, twilio_sid

CUSTOMER = "+6281234567890"


def test_control_characters_echoed_into_twiml_leave_it_well_formed(app_for):
    client = app_for("twilio").test_client()
    for n, body in enumerate(["PESAN \x01B99 2", "CARI tom\x02at\x1f", "MENU A\x0bB"]):
        reply = twilio_sms(client, body, f"SM{n:032x}")  # parses the TwiML: fails if invalid
        assert reply and "\x01" not in reply and "\x02" not in reply


def test_a_lone_surrogate_or_nul_in_an_sms_is_stored_not_lost(app_for, db: Session):
    client = app_for("android").test_client()
    assert android_sms(client, "CARI tomat\ud800", "sur1").status_code == 200
    assert android_sms(client, "NAMA Ni\x00 Made", "nul1").status_code == 200
    bodies = db.scalars(select(InboundMessage.body).order_by(InboundMessage.id)).all()
    assert bodies == ["CARI tomat\ufffd", "NAMA Ni\ufffd Made"]


def test_a_body_over_64_kb_is_refused_before_it_is_read(client):
    response = client.post("/africastalking/sms", data={"from": CUSTOMER, "text": "x" * 70_000})
    assert response.status_code == 413
    big_json = json.dumps({"event": "sms:received", "payload": {"message": "y" * 70_000}})
    assert (
        client.post("/android/sms", data=big_json, content_type="application/json").status_code
        == 413
    )


def test_xml_text_keeps_what_xml_allows_and_drops_the_rest():
    """What both voice providers' XML and TwiML run every spoken or echoed text through."""
    from providers.edge import xml_text

    every_control = "".join(chr(code) for code in range(32)) + "\ud800\ufffe\uffff"
    kept = xml_text(f"Ni Made{every_control} Sari 🌶️ Rp15.000 <&>")
    assert kept == "Ni Made\t\n\r Sari 🌶️ Rp15.000 <&>"
    element = ET.Element("Say")
    element.text = kept
    assert ET.fromstring(ET.tostring(element)).text == kept.replace("\r", "\n")


# ---------------------------------------------------------------- /android/sms, signed


def signed_post(client, raw: bytes, *, timestamp: str | None = None, signature: str | None = None):
    stamp = timestamp if timestamp is not None else str(phone_time(client))
    sign = signature
    if sign is None:
        sign = hmac.new(ANDROID_KEY.encode(), raw + stamp.encode(), "sha256").hexdigest()
    return client.post(
        "/android/sms",
        data=raw,
        content_type="application/json",
        headers={"X-Timestamp": stamp, "X-Signature": sign},
    )


def test_android_headers_of_any_shape_get_403_never_500(app_for):
    client = app_for("android").test_client()
    raw = b'{"event": "sms:received"}'
    for timestamp in ("9" * 400, "9" * 5000, "\u00b2", "12.5", "-1", ""):
        assert signed_post(client, raw, timestamp=timestamp).status_code == 403, timestamp[:8]
    for signature in ("\u00e9" * 64, "zz", "", "a" * 5000):
        assert signed_post(client, raw, signature=signature).status_code == 403


def test_android_json_of_the_wrong_types_gets_400_never_500(app_for, db: Session):
    client = app_for("android").test_client()
    deep = ("[" * 20_000 + "]" * 20_000).encode()  # deeper than Python parses, under 64 KB
    wrong = [
        b"not json",
        b"\xff\xfe",
        deep,
        json.dumps({"event": ["sms:received"]}).encode(),
        json.dumps({"event": "sms:received", "payload": "text"}).encode(),
        json.dumps({"event": "sms:received", "payload": {"phoneNumber": 6281234567890}}).encode(),
        json.dumps({"event": "sms:received", "payload": {"message": {"a": 1}}}).encode(),
    ]
    for raw in wrong:
        assert signed_post(client, raw).status_code == 400, raw[:40]
    assert db.scalars(select(InboundMessage)).all() == []


# ---------------------------------------------------------------- replays and provider ids


def twilio_signed(client, path: str, params: dict[str, str], signature: str):
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def test_a_captured_signed_twilio_sms_cannot_be_replayed_as_a_new_message(app_for, db: Session):
    """Twilio's signature runs names and values together: drop `NumMedia` and move `NumMedia0`
    into the MessageSid, and the signature still holds for what looks like a new message."""
    client = app_for("twilio").test_client()
    twilio_sms(client, "NAMA Ni Made Sari", twilio_sid("SM", "name"))
    twilio_sms(client, "ALAMAT Banjar Kaler, dekat pura", twilio_sid("SM", "address"))
    url = PUBLIC_BASE_URL + "/twilio/sms"
    validator = RequestValidator(fp.TWILIO_TOKEN)
    for body in ("PESAN B04 2", "YA"):
        sid = twilio_sid("SM", body)
        captured = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": fp.TWILIO_SID,
            "From": CUSTOMER,
            "To": "+15005550006",
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
        }
        signature = validator.compute_signature(url, captured)
        assert twilio_signed(client, "/twilio/sms", captured, signature).status_code == 200
        replay = {k: v for k, v in captured.items() if k != "NumMedia"}
        replay["MessageSid"] = sid + "NumMedia0"
        assert validator.validate(url, replay, signature)  # the attack is real
        assert twilio_signed(client, "/twilio/sms", replay, signature).status_code == 400
    assert db.scalar(select(func.count()).select_from(Order)) == 1  # the one order, once


def test_a_captured_signed_twilio_call_cannot_be_replayed_as_a_new_call(app_for, db: Session):
    call = TwilioCall(app_for("twilio").test_client(), token=fp.TWILIO_TOKEN)
    call.start()
    captured = call.params({})
    signature = call.signature("/twilio/voice", {})
    replay = {k: v for k, v in captured.items() if k != "CallStatus"}
    replay["CallSid"] = captured["CallSid"] + "CallStatusin-progress"
    assert RequestValidator(fp.TWILIO_TOKEN).validate(
        PUBLIC_BASE_URL + "/twilio/voice", replay, signature
    )
    assert twilio_signed(call.client, "/twilio/voice", replay, signature).status_code == 400
    calls = select(func.count()).select_from(Conversation)
    assert db.scalar(calls) == 1


AT = f"?token={AT_TOKEN}"


@pytest.mark.parametrize(
    ("path", "form"),
    [
        (f"/africastalking/sms{AT}", {"from": CUSTOMER, "text": "MENU", "id": "ATXid 1; x"}),
        (f"/africastalking/sms{AT}", {"from": CUSTOMER, "text": "MENU", "id": "A" * 101}),
        (f"/africastalking/ussd{AT}", {"sessionId": "ATUid_1\n2", "phoneNumber": CUSTOMER}),
        (f"/africastalking/voice{AT}", {"sessionId": "", "callerNumber": CUSTOMER}),
        (f"/africastalking/delivery{AT}", {"id": "ATXid_1'--", "status": "Success"}),
        (f"/africastalking/delivery{AT}", {"id": "ATXid_1", "status": "Success!"}),
        (f"/africastalking/sms{AT}", {"from": CUSTOMER, "text": "x", "id": ["a1", "a2"]}),
    ],
)
def test_africastalking_ids_of_another_shape_are_refused(app_for, db: Session, path, form):
    response = app_for("africastalking").test_client().post(path, data=form)
    assert response.status_code == 400
    assert db.scalars(select(InboundMessage)).all() == []
    assert db.scalars(select(Conversation)).all() == []


@pytest.mark.parametrize(
    "change",
    [
        {"id": "evt 1"},
        {"id": "e" * 41},
        {"id": None},
        {"event": "SMS RECEIVED"},
        {"payload": {"messageId": "m/1", "message": "MENU", "phoneNumber": CUSTOMER}},
        {"payload": {"messageId": "m1", "message": "MENU", "receivedAt": "yesterday"}},
    ],
)
def test_android_ids_of_another_shape_are_refused(app_for, db: Session, change):
    client = app_for("android").test_client()
    event = {"event": "sms:received", "id": "evt1", "payload": {"message": "MENU"}} | change
    assert signed_post(client, json.dumps(event).encode()).status_code == 400
    assert db.scalars(select(InboundMessage)).all() == []
