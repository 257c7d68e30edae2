"""What every SMS command works with: channel settings, the sender's context, numbered menus."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from conversations.catalog_loader import load_catalog
from conversations.menu_turns import sms_menu_turn
from domain.orders.customers import customer_for
from domain.orders.rules import OrderRules
from menus.catalog import InMemoryCatalog
from storage.models import Courier, Customer, Vendor
from telemetry.metrics import HOP_SECONDS, on_commit
from voice_prompts import PromptCatalog, Text

SMS_LIMIT = 160


@dataclass(frozen=True)
class SmsSettings:
    """What the SMS channel needs to know from the settings."""

    rules: OrderRules
    default_language: str
    reply_via_outbox: bool  # False for Twilio, which takes the reply in its webhook answer
    # A provider's own whole-message words (Twilio: STOPALL, UNSTOP, ...), upper case.
    opt_out_words: frozenset[str] = frozenset()
    opt_in_words: frozenset[str] = frozenset()


@dataclass
class SmsContext:
    """One inbound SMS being handled: its sender, the channel's settings, the time, the texts."""

    session: Session
    phone: str
    channel: SmsSettings
    now: dt.datetime
    prompts: PromptCatalog
    customer: Customer | None
    body: str = ""  # the message as sent (typed answers to the numbered menus)
    courier: Courier | None = None  # the sender is a registered courier
    vendors: tuple[Vendor, ...] = ()  # the stalls the sender keeps as a registered trader
    _catalog: InMemoryCatalog | None = field(default=None, repr=False)

    @property
    def lang(self) -> str:
        """The sender's language (saved with BAHASA), else the default."""
        return (
            (self.customer.language if self.customer else None)
            or (self.courier.language if self.courier else None)
            or self.channel.default_language
        )

    def catalog(self) -> InMemoryCatalog:
        """The catalog as it is now (read once per message)."""
        if self._catalog is None:
            self._catalog = load_catalog(self.session, self.now)
        return self._catalog

    def text(self, key: str, **params: Any) -> str:
        """A prompt in the sender's language."""
        return self.prompts.render(Text.of(key, **params), self.lang)

    def ensure_customer(self) -> Customer:
        """The sender as a customer, created on the first detail they give."""
        if self.customer is None:
            self.customer = customer_for(self.session, self.phone, now=self.now)
        return self.customer


def menu_mode(ctx: SmsContext, value: str, *, start: bool, typed: bool = False) -> str | None:
    """The numbered menus over SMS; None when the number has no menu session going."""
    started = time.perf_counter()
    reply = sms_menu_turn(
        ctx.session,
        phone=ctx.phone,
        value=value,
        start=start,
        typed=typed,
        rules=ctx.channel.rules,
        default_language=ctx.channel.default_language,
        now=ctx.now,
    )
    if reply is not None:  # a hop of the menus (its wait for the disk included)
        took = time.perf_counter() - started
        on_commit(ctx.session, lambda: HOP_SECONDS.labels("sms").observe(took))
    return reply
