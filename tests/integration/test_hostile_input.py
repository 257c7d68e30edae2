"""What an attacker or a confused user sends, answered with a valid reply (issue 11, part).

Control characters typed into an SMS never make a TwiML reply invalid; a lone surrogate or a
NUL in a message is stored (as U+FFFD), not lost; a body over 64 KB is refused with 413; the
console's CSV upload has its own larger limit.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import InboundMessage
from tests.provider_sms import android_sms, twilio_sms

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
    from gateway.edge import xml_text

    every_control = "".join(chr(code) for code in range(32)) + "\ud800\ufffe\uffff"
    kept = xml_text(f"Ni Made{every_control} Sari 🌶️ Rp15.000 <&>")
    assert kept == "Ni Made\t\n\r Sari 🌶️ Rp15.000 <&>"
    element = ET.Element("Say")
    element.text = kept
    assert ET.fromstring(ET.tostring(element)).text == kept.replace("\r", "\n")


# ---------------------------------------------------------------- /android/sms, signed


def signed_post(client, raw: bytes, *, timestamp: str | None = None, signature: str | None = None):
    import hashlib  # noqa: F401  (hmac below)
    import hmac

    from tests.provider_sms import ANDROID_KEY, phone_time

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
