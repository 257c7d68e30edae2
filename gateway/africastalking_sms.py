"""`POST /africastalking/sms`: an SMS to our Africa's Talking short code or number.

Africa's Talking posts `from, to, text, date, id, linkId`; the reply goes out through the
outbox (its webhook answer carries no message). `?token=` is checked when set.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request

from gateway.database import current_settings
from gateway.security import require_url_token
from gateway.sms import receive_delivery_report, receive_sms

blueprint = Blueprint("africastalking_sms", __name__)


@blueprint.post("/africastalking/sms")
def sms() -> Response:
    """Parse, hand to the SMS channel; the reply is queued in the outbox."""
    require_url_token(current_settings().at_webhook_token)
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
    report_status = request.form.get("status", "")
    if report_status in FINAL_STATUSES:
        reason = request.form.get("failureReason")
        receive_delivery_report(
            provider="africastalking",
            provider_message_id=request.form.get("id", ""),
            delivered=FINAL_STATUSES[report_status],
            error=f"Africa's Talking {report_status}: {reason}" if reason else None,
        )
    return Response("", status=200)
