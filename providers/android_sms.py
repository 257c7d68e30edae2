"""SMS Gateway for Android, both ways: `POST /android/sms` in, `AndroidSender` out.

`POST /android/sms`: the phone (a local SIM) forwards an SMS or reports on one it sent.

It posts JSON `{"event": "sms:received", "id", "deviceId", "webhookId", "payload":
{"messageId", "message", "phoneNumber", "simNumber", "receivedAt"}}`, signed with
`X-Signature` (HMAC-SHA256 of body + `X-Timestamp`) when ANDROID_WEBHOOK_KEY is set. The
payload's `messageId` is derived from the content, so the same words sent twice share it:
a message is known by the event id, the messageId and the time it was received together.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from flask import Blueprint, Response, request

from domain.messaging.outbox import SendError, SentMessage
from providers.edge import PHONE, field, malformed, refuse, required, text_field
from providers.security import require_android_signature
from providers.sms import MAX_BODY, receive_delivery_report, receive_sms
from settings import Settings
from web.current import current_settings

blueprint = Blueprint("android_sms", __name__)

# The phone's reports on a message it sent for us (its `messageId` is the id it gave us).
DELIVERY_EVENTS = {"sms:delivered": True, "sms:failed": False}


@blueprint.post("/android/sms")
def sms() -> Response:
    """Check, hand to the SMS channel; the reply goes back through the phone (outbox)."""
    require_android_signature(current_settings().android_webhook_key)
    event = _event(request.get_data())
    payload = event.get("payload") or {}
    if event["event"] in DELIVERY_EVENTS:
        receive_delivery_report(
            provider="android",
            provider_message_id=payload.get("messageId") or "",
            delivered=DELIVERY_EVENTS[event["event"]],
            error=f"SMS Gateway for Android: {payload.get('reason') or 'failed'}"
            if event["event"] == "sms:failed"
            else None,
        )
        return Response("", status=200)
    if event["event"] != "sms:received":
        return Response("", status=200)  # sms:sent and others: nothing to do
    message_id = "|".join(
        part or "" for part in (event["id"], payload.get("messageId"), payload.get("receivedAt"))
    )
    receive_sms(
        provider="android",
        message_id=message_id,
        sender=payload.get("phoneNumber") or payload.get("sender"),
        body=payload.get("message") or "",
        via_outbox=True,
    )
    return Response("", status=200)


# What the app documents it posts: every field a string (`simNumber` a number, not used). The
# ids are short enough that event id, messageId and receivedAt together stay one key of at
# most 120 characters.
PROVIDER = "SMS Gateway for Android"
ANDROID_ID = field("[A-Za-z0-9_.:-]{1,40}")
EVENT_FIELDS = {
    "event": required(field("[a-z]{1,20}:[a-z]{1,20}")),
    "id": required(ANDROID_ID),
    "deviceId": ANDROID_ID,
    "webhookId": ANDROID_ID,
}
PAYLOAD_FIELDS = {
    "messageId": ANDROID_ID,
    "message": text_field(MAX_BODY),
    "phoneNumber": PHONE,
    "sender": PHONE,
    "receivedAt": field("[0-9T:.+ Z-]{1,35}"),
    "reason": text_field(200),
}


def _event(raw: bytes) -> dict[str, Any]:
    """The webhook's JSON, or a 400 unless it has the documented shape and types."""
    try:
        event = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested beyond reason
        refuse(PROVIDER, "the body (not JSON)")
    if not isinstance(event, dict):
        refuse(PROVIDER, "the body (not a JSON object)")
    payload = event.get("payload") or {}
    if not isinstance(payload, dict):
        refuse(PROVIDER, "payload")
    wrong = malformed(EVENT_FIELDS, event) or malformed(PAYLOAD_FIELDS, payload)
    if wrong is not None:
        refuse(PROVIDER, wrong)
    return event


# ---------------------------------------------------------------- outbound


class AndroidSender:
    """SMS Gateway for Android (a phone with a local SIM) through `android-sms-gateway`."""

    REQUIRED_SETTINGS = ("android_gateway_user", "android_gateway_password")

    def __init__(self, settings: Settings) -> None:
        self.login = settings.android_gateway_user
        self.password = settings.android_gateway_password
        self.base_url = settings.android_gateway_url or "https://api.sms-gate.app/3rdparty/v1"
        self.timeout = settings.provider_timeout_seconds

    def send(self, to: str, body: str) -> SentMessage:
        """Ask the phone to send the message."""
        from android_sms_gateway import client, domain
        from android_sms_gateway.errors import APIError
        from android_sms_gateway.http import RequestsHttpClient

        message = domain.Message(phone_numbers=[to], text_message=domain.TextMessage(text=body))
        # The client's own HTTP session has no timeout: it gets one that has.
        with TimeoutSession(self.timeout) as session:
            api = client.APIClient(
                self.login, self.password, base_url=self.base_url, http=RequestsHttpClient(session)
            )
            try:
                state = api.send(message)
            except (APIError, requests.RequestException) as exc:
                raise SendError(f"SMS Gateway for Android: {exc}") from exc
        return SentMessage(provider_message_id=state.id)


class TimeoutSession(requests.Session):
    """A requests session whose every request gives up after `timeout` seconds."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        """As requests does, with the session's timeout unless the call gives its own."""
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)
