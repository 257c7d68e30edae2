"""`POST /android/sms`: SMS Gateway for Android, a phone with a local SIM, forwards an SMS.

It posts JSON `{"event": "sms:received", "id", "deviceId", "webhookId", "payload":
{"messageId", "message", "phoneNumber", "simNumber", "receivedAt"}}`, signed with
`X-Signature` (HMAC-SHA256 of body + `X-Timestamp`) when ANDROID_WEBHOOK_KEY is set. The
payload's `messageId` is derived from the content, so the same words sent twice share it:
a message is known by the event id, the messageId and the time it was received together.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from gateway.database import current_settings
from gateway.security import require_android_signature
from gateway.sms import receive_delivery_report, receive_sms

blueprint = Blueprint("android_sms", __name__)

# The phone's reports on a message it sent for us (its `messageId` is the id it gave us).
DELIVERY_EVENTS = {"sms:delivered": True, "sms:failed": False}


@blueprint.post("/android/sms")
def sms() -> Response:
    """Parse, hand to the SMS channel; the reply goes back through the phone (outbox)."""
    require_android_signature(current_settings().android_webhook_key)
    event = request.get_json(silent=True)
    if not isinstance(event, dict):
        return Response("", status=200)
    payload = event.get("payload") if isinstance(event.get("payload"), dict) else {}
    if event.get("event") in DELIVERY_EVENTS:
        receive_delivery_report(
            provider="android",
            provider_message_id=str(payload.get("messageId") or ""),
            delivered=DELIVERY_EVENTS[event["event"]],
            error=f"SMS Gateway for Android: {payload.get('reason') or 'failed'}"
            if event["event"] == "sms:failed"
            else None,
        )
        return Response("", status=200)
    if event.get("event") != "sms:received":
        return Response("", status=200)  # sms:sent and others: nothing to do
    message_id = "|".join(
        str(part or "")
        for part in (event.get("id"), payload.get("messageId"), payload.get("receivedAt"))
    )
    receive_sms(
        provider="android",
        message_id=message_id,
        sender=payload.get("phoneNumber") or payload.get("sender"),
        body=str(payload.get("message") or ""),
        via_outbox=True,
    )
    return Response("", status=200)
