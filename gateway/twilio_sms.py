"""`POST /twilio/sms`: an SMS to our Twilio number; the reply goes back as TwiML.

Twilio posts `MessageSid, AccountSid, From, To, Body, NumMedia, NumSegments, SmsStatus`
and signs the request. STOP, START, YES and HELP are also handled by Twilio itself on long
codes and still forwarded: we keep our own opt-out record in step with it.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from gateway.security import require_twilio_signature
from gateway.sms import receive_sms

blueprint = Blueprint("twilio_sms", __name__)
blueprint.before_request(require_twilio_signature)


@blueprint.post("/twilio/sms")
def sms() -> Response:
    """Parse, hand to the SMS channel, answer with the reply (or nothing)."""
    reply = receive_sms(
        provider="twilio",
        message_id=request.form.get("MessageSid", "") or request.form.get("SmsSid", ""),
        sender=request.form.get("From"),
        body=request.form.get("Body"),
        via_outbox=False,
    )
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return Response(str(response), mimetype="text/xml")
