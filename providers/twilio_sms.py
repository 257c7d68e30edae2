"""Twilio SMS, both ways: `POST /twilio/sms` and `/twilio/status` in, `TwilioSender` out.

`/twilio/sms`: an SMS to our Twilio number; the reply goes back as TwiML.

Twilio posts `MessageSid, AccountSid, From, To, Body, NumMedia, NumSegments, SmsStatus`
and signs the request. STOP, START, YES and HELP are also handled by Twilio itself on long
codes and still forwarded: we keep our own opt-out record in step with it.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from domain.messaging.outbox import SendError, SentMessage
from providers.edge import (
    COUNT,
    PHONE,
    WORD,
    field,
    refuse_malformed,
    required,
    text_field,
    xml_text,
)
from providers.security import require_twilio_signature
from providers.sms import receive_delivery_report, receive_sms
from settings import Settings

blueprint = Blueprint("twilio_sms", __name__)
blueprint.before_request(require_twilio_signature)

# Twilio's sids (docs/RULES.md). Its signature runs names and values together with no separator,
# so a signed request with one field dropped and its value moved into a neighbour still
# validates: only the exact shape of the MessageSid we deduplicate on keeps a replay from
# passing as a new message.
MESSAGE_SID = field("(SM|MM)[0-9a-f]{32}")
ACCOUNT_SID = field("AC[0-9a-f]{32}")
MAX_BODY = 1600  # the longest message Twilio delivers
SMS_FIELDS = {
    "MessageSid": required(MESSAGE_SID),
    "SmsSid": MESSAGE_SID,
    "AccountSid": ACCOUNT_SID,
    "From": required(PHONE),
    "To": PHONE,
    "Body": text_field(MAX_BODY),
    "NumMedia": COUNT,
    "NumSegments": COUNT,
    "SmsStatus": WORD,
}
STATUS_FIELDS = {
    "MessageSid": required(MESSAGE_SID),
    "AccountSid": ACCOUNT_SID,
    "MessageStatus": required(WORD),
    "ErrorCode": COUNT,
}

# Twilio's own opt-out and opt-in words on long codes (the whole message, any case): our
# record follows what Twilio does with them.
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})
# Words Twilio answers itself (and then blocks our messages to an opted-out number): we act
# on them, but leave the answer to Twilio rather than send a second one.
TWILIO_ANSWERS = OPT_OUT_WORDS | OPT_IN_WORDS | {"HELP", "INFO"}


def answers_itself(body: str) -> bool:
    """Whether Twilio answers this SMS itself (our reply would be a second one)."""
    return body.strip().upper() in TWILIO_ANSWERS


@blueprint.post("/twilio/sms")
def sms() -> Response:
    """Check, hand to the SMS channel, answer with the reply (or nothing)."""
    refuse_malformed("Twilio", SMS_FIELDS)
    body = request.form.get("Body", "")
    reply = receive_sms(
        provider="twilio",
        message_id=request.form["MessageSid"],
        sender=request.form.get("From"),
        body=body,
        via_outbox=False,
        opt_out_words=OPT_OUT_WORDS,
        opt_in_words=OPT_IN_WORDS,
    )
    response = MessagingResponse()
    if reply and not answers_itself(body):
        response.message(xml_text(reply))
    return Response(str(response), mimetype="text/xml")


# Twilio's message statuses that are its last word on a message.
FINAL_STATUSES = {"delivered": True, "undelivered": False, "failed": False}


@blueprint.post("/twilio/status")
def status() -> Response:
    """A message status callback: delivered, or not (with Twilio's error code)."""
    refuse_malformed("Twilio", STATUS_FIELDS)
    message_status = request.form["MessageStatus"]
    if message_status in FINAL_STATUSES:
        code = request.form.get("ErrorCode")
        receive_delivery_report(
            provider="twilio",
            provider_message_id=request.form["MessageSid"],
            delivered=FINAL_STATUSES[message_status],
            error=f"Twilio {message_status}, error {code}" if code else None,
        )
    return Response("", status=204)


# ---------------------------------------------------------------- outbound


def twilio_client(settings: Settings):
    """Twilio's REST client for SMS and calls: our account, a timeout, TWILIO_API_BASE_URL."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    # environment={}: the SDK must not read TWILIO_REGION / TWILIO_EDGE behind our back.
    # Its HTTP client has no timeout unless it is given one.
    client = Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        http_client=TwilioHttpClient(timeout=settings.provider_timeout_seconds),
        environment={},
    )
    if settings.twilio_api_base_url:
        client.api.base_url = settings.twilio_api_base_url.rstrip("/")
    return client


class TwilioSender:
    """Twilio's REST API through the `twilio` SDK (TWILIO_API_BASE_URL points it elsewhere)."""

    # The settings it cannot send without (make_sender names the missing ones).
    REQUIRED_SETTINGS = ("twilio_account_sid", "twilio_auth_token", "twilio_from_number")
    # Twilio errors that no retry can fix: the number opted out at Twilio, or is not a number.
    PERMANENT_ERRORS = {21610, 21211, 21614}

    def __init__(self, settings: Settings) -> None:
        self.client = twilio_client(settings)
        self.from_number = settings.twilio_from_number

    def send(self, to: str, body: str) -> SentMessage:
        """Create the message at Twilio."""
        from requests import RequestException
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            message = self.client.messages.create(to=to, from_=self.from_number, body=body)
        except TwilioRestException as exc:
            raise SendError(
                f"Twilio {exc.status} error {exc.code}: {exc.msg}",
                permanent=exc.code in self.PERMANENT_ERRORS,
            ) from exc
        except (TwilioException, RequestException) as exc:
            raise SendError(f"Twilio: {exc}") from exc
        return SentMessage(provider_message_id=message.sid)
