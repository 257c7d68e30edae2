"""What the three SMS gateways share: store an inbound SMS or a delivery report, then handle it.

Nothing a provider hands us is acknowledged before it is stored. When it cannot be stored
(the database is locked, full or read-only) this raises `NotStored` and the route answers
503, so the provider keeps the message and tries again: SMS Gateway for Android retries
any non-2xx with backoff, Twilio retries when its webhook URL asks for it (see README).
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from conversations.sms_commands import SmsSettings, handle_inbound
from domain.messaging import queries as messaging_queries
from domain.messaging.inbox import store_inbound
from domain.messaging.outbox import record_delivery
from domain.orders.rules import OrderRules
from domain.phones import mask_phone
from providers.edge import answer_or_apologise, caller_phone, storable
from settings import Settings
from telemetry.metrics import INBOUND_REFUSED, INBOUND_STORED
from web.current import current_database, current_settings, current_time

log = logging.getLogger(__name__)
# The longest SMS text the adapters accept: longer than any a phone sends (a 10-part message
# is 1,530 characters).
MAX_BODY = 2000


class NotStored(Exception):
    """What the provider sent could not be stored: it must not be acknowledged (503)."""


def sms_settings(
    settings: Settings,
    *,
    reply_via_outbox: bool,
    opt_out_words: frozenset[str] = frozenset(),
    opt_in_words: frozenset[str] = frozenset(),
) -> SmsSettings:
    """What the SMS channel needs from the settings (and from the provider: its own words)."""
    return SmsSettings(
        rules=OrderRules.from_settings(settings),
        default_language=settings.default_language,
        reply_via_outbox=reply_via_outbox,
        opt_out_words=opt_out_words,
        opt_in_words=opt_in_words,
    )


def receive_sms(
    *,
    provider: str,
    message_id: str,
    sender: str | None,
    body: str | None,
    via_outbox: bool,
    opt_out_words: frozenset[str] = frozenset(),
    opt_in_words: frozenset[str] = frozenset(),
) -> str | None:
    """Store one inbound SMS, then handle it; returns the reply text (None: nothing to say).

    The adapter has checked the fields: `message_id` is at most 120 characters, `body` at
    most MAX_BODY. Raises NotStored when the message could not be stored. Once stored, a
    failure to handle it is logged and left to the worker, which handles it later (once, by
    its provider id).
    """
    settings = current_settings()
    phone = caller_phone(sender)
    if phone is None:
        log.info("%s SMS from a number that does not parse: ignored", provider)
        return None
    database, now = current_database(), current_time()
    try:
        inbound_id = database.run(
            lambda session: store_inbound(
                session,
                provider=provider,
                message_id=message_id,
                phone=phone,
                body=storable(body or ""),
                now=now,
            )
        )
    except SQLAlchemyError as exc:
        log.error("%s SMS from %s not stored: %s", provider, mask_phone(phone), exc)
        INBOUND_REFUSED.labels(provider).inc()
        raise NotStored(f"{provider} SMS not stored") from exc
    if inbound_id is None:  # a provider retry of a message stored already
        return None if via_outbox else _first_reply(provider, message_id)
    INBOUND_STORED.labels(provider).inc()
    channel = sms_settings(
        settings,
        reply_via_outbox=via_outbox,
        opt_out_words=opt_out_words,
        opt_in_words=opt_in_words,
    )
    return answer_or_apologise(  # stored: the worker handles it later, the reply comes then
        f"{provider} SMS {inbound_id} (stored, left to the worker)",
        phone,
        lambda: database.run(
            lambda session: handle_inbound(session, inbound_id, channel=channel, now=now)
        ),
        lambda: None,
    )


def _first_reply(provider: str, message_id: str) -> str | None:
    """The reply the first delivery of this message was answered with (None: none to give).

    A retry that arrives while the first delivery is still being handled (Twilio retries on
    a read timeout) is answered 503: Twilio tries once more, and by then the reply is stored.
    Should handling fail for good, the worker handles the message and its reply goes out
    through the outbox.
    """
    try:
        with current_database().readers() as session:
            stored = messaging_queries.inbound_message(session, provider, message_id)
            state, reply = (stored.state, stored.reply) if stored is not None else (None, None)
    except SQLAlchemyError as exc:
        INBOUND_REFUSED.labels(provider).inc()
        raise NotStored(f"{provider} SMS retry not answered") from exc
    if state == "pending":
        INBOUND_REFUSED.labels(provider).inc()
        raise NotStored(f"{provider} SMS {message_id} is still being handled")
    return reply


def receive_delivery_report(
    *, provider: str, provider_message_id: str, delivered: bool, error: str | None
) -> None:
    """Store a provider's delivery report and apply it to the outbox message it is about.

    The adapter has checked the id (at most 100 characters). Raises NotStored when it
    could not be stored (the provider sends it again).
    """
    if not provider_message_id:
        return
    now = current_time()
    try:
        applied = current_database().run(
            lambda session: record_delivery(
                session,
                provider=provider,
                provider_message_id=provider_message_id,
                delivered=delivered,
                error=error,
                now=now,
            )
        )
    except SQLAlchemyError as exc:
        log.error("%s delivery report not stored: %s", provider, exc)
        raise NotStored(f"{provider} delivery report not stored") from exc
    if not applied:
        log.info("%s delivery report for an id not recorded yet: kept for later", provider)
