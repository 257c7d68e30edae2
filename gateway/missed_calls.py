"""What the two voice providers share for the missed-call number and its call backs.

A ring is stored (a call back, merged into one waiting, or the how-to SMS) before the
provider is answered with its reject; the call back, answered, runs the voice conversation
from the last order; unanswered, the last order goes out as an SMS offer (`YA` places it).
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from conversations.sms_commands import offer_last_order
from gateway.current import current_database, current_settings, current_time
from gateway.sms import NotStored, sms_settings
from orders.callbacks import QuietHours, call_ended, register_missed_call
from orders.phones import friendly_phone, mask_phone
from settings import Settings
from storage import queries
from storage.models import OutboundCall
from voice_prompts import Text, default_catalog

log = logging.getLogger(__name__)


def receive_missed_call(provider: str, phone: str) -> None:
    """Store one ring on the missed-call number (NotStored when it could not be stored)."""
    settings = current_settings()
    if not settings.missed_call_enabled:
        log.info("%s missed call from %s: MISSED_CALL_ENABLED is off", provider, mask_phone(phone))
        return
    now = current_time()
    try:
        outcome = current_database().run(
            lambda session: register_missed_call(
                session,
                phone=phone,
                provider=provider,
                now=now,
                quiet=QuietHours.parse(settings.callback_quiet_hours),
                how_to_order=lambda language: how_to_order(settings, language),
            )
        )
    except SQLAlchemyError as exc:
        log.error("%s missed call from %s not stored: %s", provider, mask_phone(phone), exc)
        raise NotStored(f"{provider} missed call not stored") from exc
    log.info("%s missed call from %s: %s", provider, mask_phone(phone), outcome)


def how_to_order(settings: Settings, language: str | None) -> str:
    """The SMS for a ring from someone with no order to repeat: the ways to order."""
    lang = language or settings.default_language
    voice = settings.callback_caller_id or settings.twilio_from_number
    if voice:
        text = Text.of("callback.how_to", ussd=settings.ussd_code, voice=friendly_phone(voice))
    else:
        text = Text.of("callback.how_to_no_voice", ussd=settings.ussd_code)
    return default_catalog().render(text, lang)


def call_back_of(call_id: int) -> OutboundCall | None:
    """The call back we placed (its number, its state), by our id."""
    with current_database().readers() as session:
        return queries.outbound_call(session, call_id)


def call_back_by_session(session_id: str) -> OutboundCall | None:
    """The call back Africa's Talking knows by this session id, if it is one of ours."""
    with current_database().readers() as session:
        return queries.outbound_call_by_provider_id(session, session_id)


def answered(call: OutboundCall) -> None:
    """The call back was answered: its conversation starts."""
    now = current_time()
    current_database().run(lambda session: call_ended(session, call, answered=True, now=now))


def unanswered(call: OutboundCall) -> None:
    """Nobody answered (busy, no answer, failed): the last order offered by SMS, once."""
    settings, now = current_settings(), current_time()
    channel = sms_settings(settings, reply_via_outbox=True)

    def record(session) -> None:
        if call_ended(session, call, answered=False, now=now):
            offer_last_order(session, phone=call.phone, channel=channel, now=now)

    current_database().run(record)
