"""What the three SMS gateways share: hand an inbound SMS or a delivery report on."""

from __future__ import annotations

import logging

from gateway.database import current_database, current_settings, current_time
from menus.engine import Rules
from orders.errors import InvalidPhone
from orders.outbox import record_delivery
from orders.phones import mask_phone, normalize_phone
from orders.sms import SmsSetup, handle_sms

log = logging.getLogger(__name__)
MAX_BODY = 2000  # longer than any SMS a phone sends (a 10-part message is 1,530 characters)


def receive_sms(
    *, provider: str, message_id: str, sender: str | None, body: str | None, via_outbox: bool
) -> str | None:
    """Handle one inbound SMS; returns the reply text (None: nothing to say, or not for us)."""
    settings = current_settings()
    try:
        phone = normalize_phone(sender, settings.phone_region)
    except InvalidPhone:
        log.info("%s SMS from a number that does not parse: ignored", provider)
        return None
    setup = SmsSetup(
        rules=Rules(goods_cap=settings.order_goods_cap),
        default_language=settings.default_language,
        reply_via_outbox=via_outbox,
    )
    now = current_time()
    try:
        return current_database().run(
            lambda session: handle_sms(
                session,
                provider=provider,
                message_id=message_id[:120],
                phone=phone,
                body=(body or "")[:MAX_BODY],
                setup=setup,
                now=now,
            )
        )
    except Exception:  # a provider retry will bring it again; never an HTTP 500 loop
        log.exception("%s SMS from %s failed", provider, mask_phone(phone))
        return None


def receive_delivery_report(
    *, provider: str, provider_message_id: str, delivered: bool, error: str | None
) -> None:
    """Record a provider's delivery report on the outbox message it is about."""
    if not provider_message_id:
        return
    try:
        found = current_database().run(
            lambda session: record_delivery(
                session,
                provider_message_id=provider_message_id[:120],
                delivered=delivered,
                error=error,
            )
        )
    except Exception:  # the provider retries a report it could not deliver
        log.exception("%s delivery report failed", provider)
        return
    if not found:
        log.info("%s delivery report for a message we did not send: ignored", provider)
