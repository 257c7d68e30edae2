"""`POST /africastalking/ussd`: Africa's Talking's USSD callback.

Africa's Talking posts form fields `sessionId, serviceCode, phoneNumber, networkCode, text`
and expects `text/plain` starting `CON ` (another screen) or `END ` (the last one). It does
not sign callbacks: `?token=` must equal AT_WEBHOOK_TOKEN when that is set.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from conversations.menu_turns import UssdRequest, ussd_hop, ussd_turn
from domain.orders.rules import OrderRules
from providers.edge import (
    PHONE,
    PROVIDER_ID,
    answer_or_apologise,
    caller_phone,
    field,
    refuse_malformed,
    required,
    text_field,
)
from providers.security import require_url_token
from telemetry.metrics import HOP_SECONDS
from voice_prompts import Text, default_catalog
from web.current import current_database, current_settings, current_time

blueprint = Blueprint("africastalking_ussd", __name__)

MAX_TEXT = 2000  # the whole input history of one session; anything longer is not a person
USSD_FIELDS = {
    "sessionId": required(PROVIDER_ID),
    "phoneNumber": required(PHONE),
    "serviceCode": field("[0-9*#]{0,40}"),
    "networkCode": field("[0-9]{0,10}"),
    "text": text_field(MAX_TEXT),
}


@blueprint.post("/africastalking/ussd")
def ussd() -> Response:
    """One USSD step: check, hand to the conversation, answer CON/END."""
    settings = current_settings()
    require_url_token(settings.at_webhook_token)
    refuse_malformed("Africa's Talking", USSD_FIELDS)
    session_id = request.form["sessionId"]
    text = request.form.get("text", "")
    phone = caller_phone(request.form["phoneNumber"])
    if phone is None:
        return _end("error.bad_phone", settings.default_language)
    now = current_time()

    def answer() -> Response:
        hop = UssdRequest(
            session_id=session_id,
            phone=phone,
            text=text,
            rules=OrderRules.from_settings(settings),
            default_language=settings.default_language,
            now=now,
        )
        # Worked out from a read, then one short write (docs/OPERATIONS.md, Durability).
        with HOP_SECONDS.labels("ussd").time():
            reply = current_database().hop(
                lambda session: ussd_hop(session, hop),
                lambda session: ussd_turn(session, hop),
            )
        return _plain(("END " if reply.end else "CON ") + reply.text)

    # An apology is a clean END: never an HTTP error mid-session.
    return answer_or_apologise(
        "USSD session", phone, answer, lambda: _end("error.system", settings.default_language)
    )


def _end(key: str, lang: str) -> Response:
    return _plain("END " + default_catalog().render(Text.of(key), lang))


def _plain(body: str) -> Response:
    return Response(body, mimetype="text/plain")
