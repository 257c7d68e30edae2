"""What the two voice providers share for the missed-call number and its call backs.

A ring is stored (a call back, merged into one waiting, or the how-to SMS) before the
provider is answered with its reject; the call back, answered, runs the voice conversation
from the last order; unanswered, the last order goes out as an SMS offer (`YA` places it).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from conversations.sms_commands import offer_last_order
from domain.messaging import queries as messaging_queries
from domain.messaging.callbacks import QuietHours, RingPolicy, call_ended, register_missed_call
from domain.phones import friendly_phone, mask_phone
from providers.sms import NotStored, sms_settings
from settings import Settings
from storage.database import Database
from storage.models import OutboundCall
from voice_prompts import Text, default_catalog
from web.current import current_database, current_settings, current_time

log = logging.getLogger(__name__)


def receive_missed_call(provider: str, phone: str, call_id: str) -> None:
    """Store one ring on the missed-call number, known by the provider's `call_id` (a replay
    does nothing); NotStored when it could not be stored."""
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
                call_id=call_id,
                now=now,
                policy=ring_policy(settings),
                how_to_order=lambda language: how_to_order(settings, language),
            )
        )
    except SQLAlchemyError as exc:
        log.error("%s missed call from %s not stored: %s", provider, mask_phone(phone), exc)
        raise NotStored(f"{provider} missed call not stored") from exc
    log.info("%s missed call from %s: %s", provider, mask_phone(phone), outcome)


def ring_policy(settings: Settings) -> RingPolicy:
    """Whom the missed-call number may text or call back, and how often."""
    return RingPolicy(
        quiet=QuietHours.parse(settings.callback_quiet_hours),
        region=settings.phone_region,
        hourly_cap=settings.missed_call_hourly_cap,
    )


def how_to_order(settings: Settings, language: str | None) -> str:
    """The SMS for a ring from someone with no order to repeat: the ways to order."""
    lang = language or settings.default_language
    voice = settings.callback_caller_id or settings.twilio_from_number
    if voice:
        text = Text.of("callback.how_to", ussd=settings.ussd_code, voice=friendly_phone(voice))
    else:
        text = Text.of("callback.how_to_no_voice", ussd=settings.ussd_code)
    return default_catalog().render(text, lang)


def call_back_of(call_id: int | None) -> OutboundCall | None:
    """The call back we placed (its number, its state), by our id (None: no such call)."""
    if call_id is None:
        return None
    try:
        with current_database().readers() as session:
            return messaging_queries.outbound_call(session, call_id)
    except SQLAlchemyError as exc:
        raise NotStored("call back not read") from exc


def call_back_by_session(session_id: str) -> OutboundCall | None:
    """The call back Africa's Talking knows by this session id, if it is one of ours."""
    with current_database().readers() as session:
        return messaging_queries.outbound_call_by_provider_id(session, session_id)


def answered(call: OutboundCall) -> None:
    """The call back was answered: its conversation starts (NotStored when not recorded)."""
    now = current_time()
    try:
        current_database().run(lambda session: call_ended(session, call, answered=True, now=now))
    except SQLAlchemyError as exc:
        log.error("call back %s: its answer not stored: %s", call.id, exc)
        raise NotStored("call back answer not stored") from exc


def unanswered(call: OutboundCall) -> None:
    """Nobody answered (busy, no answer, failed): the last order offered by SMS, once.

    NotStored when it could not be recorded: the provider is answered 503, and should it
    not send it again the worker's sweep (`time_out_ringing`) ends the call back later.
    """
    try:
        current_database().run(
            lambda session: end_unanswered(session, call, current_settings(), current_time())
        )
    except SQLAlchemyError as exc:
        log.error("call back %s: its end not stored: %s", call.id, exc)
        raise NotStored("call back end not stored") from exc


def end_unanswered(
    session: Session, call: OutboundCall, settings: Settings, now: dt.datetime
) -> bool:
    """Record a ringing call back as unanswered and offer the last order by SMS (once)."""
    if not call_ended(session, call, answered=False, now=now):
        return False
    channel = sms_settings(settings, reply_via_outbox=True)
    offer_last_order(session, phone=call.phone, channel=channel, now=now)
    return True


def time_out_ringing(database: Database, settings: Settings, now: dt.datetime) -> int:
    """Call backs ringing longer than CALLBACK_RING_TIMEOUT_SECONDS, whose provider never
    said how they ended: unanswered, with their SMS offer. Returns how many."""
    since = now - dt.timedelta(seconds=settings.callback_ring_timeout_seconds)
    with database.readers() as session:
        stuck = messaging_queries.calls_ringing_since(session, since)
    ended = 0
    for call in stuck:
        if database.run(lambda session, call=call: end_unanswered(session, call, settings, now)):
            log.warning("call back %s rang with no word from the provider: unanswered", call.id)
            ended += 1
    return ended
