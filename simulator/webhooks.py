"""The providers' side of our webhooks: each request as Twilio, Africa's Talking or SMS Gateway
for Android sends it (the fields of docs/WEBHOOKS.md), signed or carrying the token when the
settings set one, so the gateway checks a simulated phone exactly as it checks a real one.

Where the requests go is a `Transport`: over HTTP to a running gateway (the terminal
simulator), or through the WSGI stack of an app in this process (the console's page: a web
process calling itself over HTTP could wait on its own busy workers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode, urlsplit

import requests
from flask import Flask
from twilio.request_validator import RequestValidator

from settings import Settings

NETWORK_CODE = "51010"  # Telkomsel, the most common network in Karangasem
# Where each SMS provider's messages come in; `log` (no provider yet) posts as Twilio does.
SMS_PATHS = {
    "twilio": "/twilio/sms",
    "africastalking": "/africastalking/sms",
    "android": "/android/sms",
}
VOICE_PATHS = {"twilio": "/twilio/voice", "africastalking": "/africastalking/voice"}
MISSED_PATHS = {"twilio": "/twilio/missed", "africastalking": "/africastalking/missed"}
# Where a call's answers may go: its voice webhook (and, for a call back, Twilio's own URL).
VOICE_ROUTES = {
    "twilio": ("/twilio/voice", "/twilio/callback"),
    "africastalking": ("/africastalking/voice",),
}
TWILIO_API_VERSION = "2010-04-01"


@dataclass(frozen=True)
class Answer:
    """What the gateway answered: status, content type (without parameters), body."""

    status: int
    content_type: str
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Transport(Protocol):
    """Delivers one POST to the gateway."""

    def post(self, path: str, *, body: bytes, headers: dict[str, str]) -> Answer: ...


class HttpTransport:
    """POSTs to a running gateway over HTTP (every request with a timeout)."""

    def __init__(self, base_url: str, *, timeout: float = 20.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    def post(self, path: str, *, body: bytes, headers: dict[str, str]) -> Answer:
        response = self.http.post(
            self.base_url + path, data=body, headers=headers, timeout=self.timeout
        )
        content_type = response.headers.get("Content-Type", "").split(";")[0]
        return Answer(response.status_code, content_type, response.text)

    def get(self, path: str) -> bytes:
        """A file the gateway serves (a prompt's audio)."""
        response = self.http.get(self.base_url + path, timeout=self.timeout)
        response.raise_for_status()
        return response.content


class AppTransport:
    """Hands each request to a Flask app in this process, through its whole WSGI stack."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()

    def post(self, path: str, *, body: bytes, headers: dict[str, str]) -> Answer:
        response = self.client.post(path, data=body, headers=headers)
        return Answer(
            response.status_code, response.mimetype or "", response.get_data(as_text=True)
        )


def new_id(prefix: str = "") -> str:
    """A fresh provider id: Twilio's shape (`SM`, `CA` + 32 hex) when a prefix is given."""
    return prefix + uuid.uuid4().hex


def path_of(url: str) -> str:
    """The path and query of a URL from a provider reply (absolute or not)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Webhooks:
    """Posts to our webhooks as each provider does, with its signature or token."""

    def __init__(
        self, settings: Settings, transport: Transport, clock: Callable[[], dt.datetime]
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.clock = clock

    def ussd(self, *, session_id: str, phone: str, text: str) -> Answer:
        """One USSD hop: `text` is every input of the session so far, joined by `*`."""
        form = {
            "sessionId": session_id,
            "serviceCode": self.settings.ussd_code,
            "phoneNumber": phone,
            "networkCode": NETWORK_CODE,
            "text": text,
        }
        return self._at("/africastalking/ussd", form)

    def voice(self, provider: str, path: str, form: dict[str, str]) -> Answer:
        """One voice callback; `path` is the first URL or the one the last reply named."""
        if provider == "twilio":
            return self._twilio(path, form)
        return self._at(path, form)

    def sms(self, provider: str, *, phone: str, text: str) -> Answer:
        """An SMS from `phone` as the provider forwards it."""
        if provider == "android":
            return self._android(phone, text)
        if provider == "africastalking":
            form = {
                "from": phone,
                "text": text,
                "date": self.clock().strftime("%Y-%m-%d %H:%M:%S"),
                "id": new_id(),
                "linkId": "",
            }
            return self._at(SMS_PATHS["africastalking"], form)
        sid = new_id("SM")
        form = {
            "MessageSid": sid,
            "SmsSid": sid,
            "From": phone,
            "Body": text,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": TWILIO_API_VERSION,
        }
        return self._twilio(SMS_PATHS["twilio"], form)

    def twilio_form(self, **fields: str) -> dict[str, str]:
        """Twilio's account and number fields, when the settings have them."""
        form = dict(fields)
        if self.settings.twilio_account_sid:
            form["AccountSid"] = self.settings.twilio_account_sid
        if self.settings.twilio_from_number:
            form["To"] = self.settings.twilio_from_number
        return form

    def _twilio(self, path: str, form: dict[str, str]) -> Answer:
        form = {**self.twilio_form(), **form}
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if self.settings.twilio_auth_token:
            url = self.settings.public_base_url.rstrip("/") + path
            validator = RequestValidator(self.settings.twilio_auth_token)
            headers["X-Twilio-Signature"] = validator.compute_signature(url, form)
        return self.transport.post(path, body=urlencode(form).encode(), headers=headers)

    def _at(self, path: str, form: dict[str, str]) -> Answer:
        token = self.settings.at_webhook_token
        if token and "token=" not in path:
            path += ("&" if "?" in path else "?") + urlencode({"token": token})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.transport.post(path, body=urlencode(form).encode(), headers=headers)

    def _android(self, phone: str, text: str) -> Answer:
        event = {
            "event": "sms:received",
            "id": new_id()[:20],
            "deviceId": "simulator",
            "webhookId": "simulator",
            "payload": {
                "messageId": hashlib.sha256(f"{phone}{text}".encode()).hexdigest()[:16],
                "message": text,
                "phoneNumber": phone,
                "sender": phone,
                "simNumber": 1,
                "receivedAt": self.clock().isoformat(),
            },
        }
        body = json.dumps(event).encode()
        headers = {"Content-Type": "application/json"}
        if self.settings.android_webhook_key:
            timestamp = str(int(self.clock().timestamp()))
            key = self.settings.android_webhook_key.encode()
            headers["X-Timestamp"] = timestamp
            headers["X-Signature"] = hmac.new(key, body + timestamp.encode(), "sha256").hexdigest()
        return self.transport.post(SMS_PATHS["android"], body=body, headers=headers)
