"""`POST /twilio/sms`: an SMS to our Twilio number; the reply goes back as TwiML.

Twilio posts `MessageSid, AccountSid, From, To, Body, NumMedia, NumSegments, SmsStatus`
and signs the request. STOP, START, YES and HELP are also handled by Twilio itself on long
codes and still forwarded: we keep our own opt-out record in step with it.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from gateway.security import require_twilio_signature
from gateway.sms import receive_delivery_report, receive_sms

blueprint = Blueprint("twilio_sms", __name__)
blueprint.before_request(require_twilio_signature)

# Words Twilio answers itself on long codes (and then blocks our messages to an opted-out
# number): we act on them, but leave the answer to Twilio rather than send a second one.
TWILIO_ANSWERS = {
    "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT",
    "START", "YES", "UNSTOP", "HELP", "INFO",
}  # fmt: skip


def answers_itself(body: str) -> bool:
    """Whether Twilio answers this SMS itself (our reply would be a second one)."""
    return body.strip().upper() in TWILIO_ANSWERS


@blueprint.post("/twilio/sms")
def sms() -> Response:
    """Parse, hand to the SMS channel, answer with the reply (or nothing)."""
    body = request.form.get("Body", "")
    reply = receive_sms(
        provider="twilio",
        message_id=request.form.get("MessageSid", "") or request.form.get("SmsSid", ""),
        sender=request.form.get("From"),
        body=body,
        via_outbox=False,
    )
    response = MessagingResponse()
    if reply and not answers_itself(body):
        response.message(reply)
    return Response(str(response), mimetype="text/xml")


# Twilio's message statuses that are its last word on a message.
FINAL_STATUSES = {"delivered": True, "undelivered": False, "failed": False}


@blueprint.post("/twilio/status")
def status() -> Response:
    """A message status callback: delivered, or not (with Twilio's error code)."""
    message_status = request.form.get("MessageStatus", "")
    if message_status in FINAL_STATUSES:
        code = request.form.get("ErrorCode")
        receive_delivery_report(
            provider="twilio",
            provider_message_id=request.form.get("MessageSid", ""),
            delivered=FINAL_STATUSES[message_status],
            error=f"Twilio {message_status}, error {code}" if code else None,
        )
    return Response("", status=204)
