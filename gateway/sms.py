"""What the three SMS gateways share: hand one inbound SMS to the SMS channel."""

from __future__ import annotations

import logging

from gateway.database import current_database, current_settings, current_time
from menus.engine import Rules
from orders.errors import InvalidPhone
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
