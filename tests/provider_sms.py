"""Inbound SMS as each provider posts it: signed, or with its token, from any phone."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable

from twilio.request_validator import RequestValidator

from tests import fake_providers as fp
from tests.voice import PUBLIC_BASE_URL

PHONE = "+6281234567890"
AT_TOKEN = "at-sms-token"
ANDROID_KEY = "android-webhook-key"


def twilio_sms(client, body: str, sid: str, *, phone: str = PHONE) -> str | None:
    """Post an SMS to /twilio/sms as Twilio does (signed); returns the TwiML reply's text."""
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": fp.TWILIO_SID,
        "From": phone,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    signature = RequestValidator(fp.TWILIO_TOKEN).compute_signature(
        PUBLIC_BASE_URL + "/twilio/sms", params
    )
    response = client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    messages = ET.fromstring(response.data).findall("Message")
    return messages[0].text if messages else None


def at_sms(client, body: str, sid: str, *, phone: str = PHONE) -> None:
    """Post an SMS to /africastalking/sms as Africa's Talking does (with the token)."""
    response = client.post(
        f"/africastalking/sms?token={AT_TOKEN}",
        data={
            "from": phone,
            "to": "21234",
            "text": body,
            "date": "2026-11-30 10:00:00",
            "id": sid,
            "linkId": "",
        },
    )
    assert response.status_code == 200


def android_event(
    body: str,
    sid: str,
    *,
    received_at: str = "2026-11-30T10:00:00.000+08:00",
    phone: str = PHONE,
) -> dict:
    return {
        "event": "sms:received",
        "id": f"evt-{sid}",
        "deviceId": "dev-1",
        "webhookId": "wh-1",
        "payload": {
            "messageId": hashlib.sha1(body.encode("utf-8", "surrogatepass")).hexdigest()[:16],
            "message": body,
            "phoneNumber": phone,
            "simNumber": 1,
            "receivedAt": received_at,
        },
    }


def phone_time(client) -> int:
    """The Android phone's clock as it signs a webhook: it agrees with the app's clock."""
    return int(client.application.config["TELEPASAR_CLOCK"]().timestamp())


def android_sms(
    client, body: str, sid: str, *, key: str = ANDROID_KEY, age: int = 0, phone: str = PHONE
):
    """Post an `sms:received` event to /android/sms as the phone does (signed)."""
    raw = json.dumps(android_event(body, sid, phone=phone)).encode()
    timestamp = str(phone_time(client) - age)
    signature = hmac.new(key.encode(), raw + timestamp.encode(), "sha256").hexdigest()
    return client.post(
        "/android/sms",
        data=raw,
        content_type="application/json",
        headers={"X-Signature": signature, "X-Timestamp": timestamp},
    )


def run_worker(app) -> str:
    """One pass of `flask worker --once`; returns what it printed."""
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


_ids = itertools.count(1)


def sender(provider: str, client) -> Callable[[str, str], str | None]:
    """Text from a phone through `provider`'s webhook; returns the reply given in the answer."""

    def send(phone: str, body: str) -> str | None:
        n = next(_ids)
        if provider == "twilio":
            return twilio_sms(client, body, f"SM{n:032x}", phone=phone)
        if provider == "africastalking":
            at_sms(client, body, f"ATXid_{n}", phone=phone)
            return None
        assert android_sms(client, body, f"d{n}", phone=phone).status_code == 200
        return None

    return send
