"""Africa's Talking SMS, both ways: `/africastalking/sms` and `/delivery` in, a sender out.

`POST /africastalking/sms`: an SMS to our Africa's Talking short code or number.

Africa's Talking posts `from, to, text, date, id, linkId`; the reply goes out through the
outbox (its webhook answer carries no message). `?token=` is checked when set.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request

from domain.messaging.outbox import SendError, SentMessage
from providers.edge import (
    COUNT,
    PHONE,
    PROVIDER_ID,
    WORD,
    field,
    refuse_malformed,
    required,
    text_field,
)
from providers.security import require_url_token
from providers.sms import MAX_BODY, receive_delivery_report, receive_sms
from settings import Settings
from web.current import current_settings

blueprint = Blueprint("africastalking_sms", __name__)

SMS_FIELDS = {
    "from": required(PHONE),
    "to": PHONE,
    "text": text_field(MAX_BODY),
    "date": field("[0-9 :.TZ+-]{0,40}"),
    "id": PROVIDER_ID,
    "linkId": field("[A-Za-z0-9_.:-]{0,100}"),
}
DELIVERY_FIELDS = {
    "id": required(PROVIDER_ID),
    "status": required(WORD),
    "phoneNumber": PHONE,
    "networkCode": field("[0-9]{0,10}"),
    "failureReason": field("[A-Za-z_ -]{0,60}"),
    "retryCount": COUNT,
}


@blueprint.post("/africastalking/sms")
def sms() -> Response:
    """Check, hand to the SMS channel; the reply is queued in the outbox."""
    require_url_token(current_settings().at_webhook_token)
    refuse_malformed("Africa's Talking", SMS_FIELDS)
    form = request.form
    message_id = form.get("id") or _fallback_id(
        form.get("from"), form.get("date"), form.get("text")
    )
    receive_sms(
        provider="africastalking",
        message_id=message_id,
        sender=form.get("from"),
        body=form.get("text"),
        via_outbox=True,
    )
    return Response("", status=200)


def _fallback_id(*parts: str | None) -> str:
    """An id for a message that came without one: the same message gives the same id."""
    return "sha1:" + hashlib.sha1("|".join(p or "" for p in parts).encode()).hexdigest()


# Africa's Talking's report statuses that are final (Sent, Submitted, Buffered are not).
FINAL_STATUSES = {"Success": True, "Rejected": False, "Failed": False}


@blueprint.post("/africastalking/delivery")
def delivery() -> Response:
    """A delivery report: `id, status, phoneNumber, networkCode, failureReason, retryCount`."""
    require_url_token(current_settings().at_webhook_token)
    refuse_malformed("Africa's Talking", DELIVERY_FIELDS)
    report_status = request.form["status"]
    if report_status in FINAL_STATUSES:
        reason = request.form.get("failureReason")
        receive_delivery_report(
            provider="africastalking",
            provider_message_id=request.form["id"],
            delivered=FINAL_STATUSES[report_status],
            error=f"Africa's Talking {report_status}: {reason}" if reason else None,
        )
    return Response("", status=200)


# ---------------------------------------------------------------- outbound


class AfricasTalkingSender:
    """Africa's Talking's SMS API through the `africastalking` SDK (AT_API_BASE_URL elsewhere)."""

    REQUIRED_SETTINGS = ("at_username", "at_api_key")
    ACCEPTED = {100, 101, 102}  # processed, sent, queued

    def __init__(self, settings: Settings) -> None:
        from africastalking.SMS import SMSService

        self.service = SMSService(settings.at_username, settings.at_api_key)
        if settings.at_api_base_url:
            self.service._baseUrl = settings.at_api_base_url.rstrip("/") + "/version1"
        self.sender_id = settings.at_sender_id or None
        self.timeout = settings.provider_timeout_seconds

    def send(self, to: str, body: str) -> SentMessage:
        """Post the message; Africa's Talking answers per recipient."""
        from africastalking.Service import AfricasTalkingException
        from requests import RequestException

        try:
            answer = self.service.send(body, [to], sender_id=self.sender_id, timeout=self.timeout)
        except ValueError as exc:  # the SDK refuses a number that is not E.164
            raise SendError(f"Africa's Talking: {exc}", permanent=True) from exc
        except (AfricasTalkingException, RequestException) as exc:
            raise SendError(f"Africa's Talking: {exc}") from exc
        data = answer.get("SMSMessageData", {}) if isinstance(answer, dict) else {}
        recipients = data.get("Recipients") or [{}]
        recipient = recipients[0]
        if recipient.get("statusCode") not in self.ACCEPTED:
            raise SendError(f"Africa's Talking: {recipient.get('status') or data.get('Message')}")
        return SentMessage(provider_message_id=recipient.get("messageId"))
