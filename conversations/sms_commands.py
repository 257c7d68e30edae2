"""SMS as an ordering channel: one inbound message in, at most one reply out.

A message is first stored in the inbox (`domain.messaging.inbox.store_inbound`);
`handle_inbound` then handles it once, in the web request or later in the worker: it guards
against floods, reads the keyword (`menus.keywords`) and runs the command from a table. An
order by SMS is priced first and placed only when the customer answers YA within 30 minutes
(no reply means no order). The numbered menus (`MENU` alone) run the same engine as USSD.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from conversations import queries, sms_browse, sms_couriers
from conversations.sms_context import SmsContext, SmsSettings, menu_mode
from domain.messaging import queries as messaging_queries
from domain.messaging.inbox import HELD_BACK, drop_flood, hold_back, take_for_handling
from domain.messaging.outbox import enqueue_sms
from domain.orders import queries as order_queries
from domain.orders.errors import (
    BadQuantity,
    EmptyOrder,
    ItemUnavailable,
    MixedMarkets,
    OrderError,
    OrderTooLarge,
    PriceChanged,
)
from domain.orders.service import (
    AgreedPrices,
    OrderLineRequest,
    Quote,
    cancel_order,
    place_order,
    quote,
)
from domain.phones import friendly_phone, mask_phone
from menus.catalog import still_on_its_way
from menus.customer_details import tidy, valid_address, valid_name
from menus.keywords import Parsed, parse
from storage.models import ACTIVE_JOB_STATES, Conversation, Customer, InboundMessage, Order
from voice_prompts import Digits, Money, Text, When, default_catalog

log = logging.getLogger(__name__)

PENDING_MINUTES = 30
# A customer's number that had FLOOD_LIMIT messages handled within FLOOD_WINDOW: the next are
# held back (still `pending`, each handled later in order, as the window frees), and the
# first held is answered with when (once an hour at most). Couriers' and traders' commands
# are never held.
FLOOD_LIMIT = 30  # a whole order through the numbered menus takes about a dozen
FLOOD_WINDOW = dt.timedelta(minutes=10)
FLOOD_NOTICE_EVERY = dt.timedelta(hours=1)  # an auto-responder is not answered in a loop
FLOOD_HELD_MAX = 100  # held back at once per number; beyond it a message is dropped (`dead`)
ECHO_LIMIT = 120


def handle_inbound(
    session: Session, inbound_id: int, *, channel: SmsSettings, now: dt.datetime
) -> str | None:
    """Handle one stored SMS, once; returns the reply text (None: nothing to answer).

    The message is taken first (`take_for_handling`), so a web request and the worker can
    never both act on it; if handling fails, the whole transaction rolls back and the
    message is pending again.
    """
    message = take_for_handling(session, inbound_id, now=now)
    if message is None:
        return None  # handled already, by the web request or another worker
    reply = _handle_taken(session, message, channel=channel, now=now)
    if reply and not channel.reply_via_outbox:
        message.reply = reply  # a retry of this message gets the same answer
    return reply


def _handle_taken(
    session: Session, message: InboundMessage, *, channel: SmsSettings, now: dt.datetime
) -> str | None:
    """Handle a message taken for handling: floods, then the keyword's command."""
    phone = message.phone
    customer = order_queries.customer_by_phone(session, phone)
    courier, vendors = sms_couriers.roles(session, phone)
    ctx = SmsContext(
        session, phone, channel, now, default_catalog(), customer, message.body, courier, vendors
    )
    if courier is None and not vendors:
        held_until, first = _flood_hold(session, message, now)
        if held_until is not None:
            if messaging_queries.held_count(session, phone, HELD_BACK) >= FLOOD_HELD_MAX:
                drop_flood(message, reason=f"dropped: {FLOOD_HELD_MAX} held back already")
                log.warning(
                    "SMS flood from %s: over %d held, dropped", mask_phone(phone), FLOOD_HELD_MAX
                )
                return None
            hold_back(session, message, until=held_until)
            if not first:
                log.info("SMS from %s held back (flood)", mask_phone(phone))
                return None
            log.warning("SMS flood from %s: held back, answered", mask_phone(phone))
            minutes = max(1, round((held_until - now).total_seconds() / 60))
            return _reply(ctx, ctx.text("sms.reply.flood", minutes=minutes))
    parsed = _with_provider_words(ctx, parse(message.body))
    reply = COMMANDS[parsed.command](ctx, parsed)
    return _reply(ctx, reply) if reply else None


def _flood_hold(
    session: Session, message: InboundMessage, now: dt.datetime
) -> tuple[dt.datetime | None, bool]:
    """When a customer's message must wait (None: handle it now), and whether to say so (at
    most once in FLOOD_NOTICE_EVERY).

    A message waits behind any earlier one of the same number still waiting, so that a held
    `PESAN` is never overtaken by its `YA`; and while FLOOD_LIMIT messages of the number
    were handled within FLOOD_WINDOW, until the oldest of them leaves the window.
    """
    earlier = messaging_queries.earlier_pending_inbound(
        session, message.phone, message.id, HELD_BACK
    )
    if earlier is not None and earlier.next_try_at is not None:
        return max(earlier.next_try_at, now), False
    handled = messaging_queries.handled_since(
        session, message.phone, now - FLOOD_WINDOW, message.id
    )
    if len(handled) < FLOOD_LIMIT:
        return None, False
    oldest = handled[-FLOOD_LIMIT]  # aware UTC, as every time read back (UTCDateTime)
    # A second past the window: the oldest has left it by then (the count includes the edge).
    until = max(oldest + FLOOD_WINDOW, now) + dt.timedelta(seconds=1)
    told = messaging_queries.held_since(session, message.phone, now - FLOOD_NOTICE_EVERY, HELD_BACK)
    return until, not told


def _with_provider_words(ctx: SmsContext, parsed: Parsed) -> Parsed:
    """A provider's own opt-out and opt-in words, as that provider reads them (whole message).

    Twilio opts a number in again on `YES` and still forwards it: our record follows, and
    the `YES` goes on to confirm an order as well.
    """
    whole = " ".join(ctx.body.split()).upper()
    if whole in ctx.channel.opt_out_words:
        return Parsed("stop")
    if whole in ctx.channel.opt_in_words:
        if ctx.customer is not None:
            ctx.customer.opted_out_at = None
        return parsed if parsed.command != "unknown" else Parsed("start")
    return parsed


def _reply(ctx: SmsContext, text: str) -> str:
    """Send the reply through the outbox, or hand it back for the webhook's answer."""
    if ctx.channel.reply_via_outbox:
        enqueue_sms(ctx.session, to=ctx.phone, body=text, kind="reply", now=ctx.now)
    return text


# ---------------------------------------------------------------- ordering


def _order(ctx: SmsContext, parsed: Parsed) -> str:
    if parsed.problem == "bad_quantity":
        return ctx.text("sms.reply.bad_quantity", max=ctx.channel.rules.max_quantity)
    if parsed.problem and parsed.problem.startswith("unknown_code:"):
        return ctx.text("sms.reply.unknown_items", codes=parsed.problem.split(":", 1)[1][:12])
    if parsed.problem:
        return ctx.text("sms.reply.lines_missing")
    catalog = ctx.catalog()
    by_code = {item.code: item for item in catalog.item_list}
    unknown = [code for code, _ in parsed.lines if code not in by_code]
    if unknown:
        return ctx.text("sms.reply.unknown_items", codes=", ".join(unknown))
    basket = [OrderLineRequest(by_code[code].id, quantity) for code, quantity in parsed.lines]
    try:
        priced = quote(ctx.session, basket, rules=ctx.channel.rules, now=ctx.now)
    except OrderError as exc:
        return _refusal(ctx, exc)
    _save_pending(ctx, priced)
    return _still_open(ctx) + _summary(ctx, priced)


def _still_open(ctx: SmsContext) -> str:
    """Said before a quote while the customer's last order is on its way: YA means again."""
    order = ctx.customer and order_queries.open_order_of(ctx.session, ctx.customer.id)
    if not order:
        return ""
    return ctx.prompts.render(still_on_its_way(order.number, order.total), ctx.lang) + " "


def _quoted_lines(ctx: SmsContext, priced: Quote) -> str:
    """Each line of a quote: code, name, quantity, unit, amount."""
    return ", ".join(
        ctx.text(
            "sms.reply.summary_line",
            code=line.code,
            name=_item_label(ctx, line.item_id),
            quantity=line.quantity,
            unit=Text.of(f"unit.{line.unit}"),
            amount=Money(line.unit_price * line.quantity),
        )
        for line in priced.lines
    )


def _summary(ctx: SmsContext, priced: Quote) -> str:
    """What a quote says: each line and its amount, the fee, the total, and how to say YA."""
    summary = ctx.text(
        "sms.reply.summary",
        lines=_quoted_lines(ctx, priced),
        fee=Money(priced.delivery_fee),
        total=Money(priced.total),
    )
    if priced.deliver_after is not None:
        later = When(priced.deliver_after, priced.timezone)
        summary += " " + ctx.text("sms.reply.later", when=later)
    if not _has_details(ctx.customer):
        summary += " " + ctx.text("sms.reply.need_details")
    return summary


def _yes(ctx: SmsContext, parsed: Parsed) -> str | None:
    pending = _pending(ctx)
    if ctx.courier is not None and not parsed.own_order:
        reply = sms_couriers.answer(ctx, parsed, accepting=True, own_pending=pending is not None)
        if reply is not None:
            return reply or None  # empty: the answer is in the outbox already
    if pending is None:
        return ctx.text("sms.reply.nothing_pending")
    if ctx.now > pending.expires_at:
        pending.convo.status = "expired"
        return ctx.text("sms.reply.expired")
    if not _has_details(ctx.customer):
        return ctx.text("sms.reply.need_details")
    customer = ctx.customer
    pending.convo.status = "done"
    try:
        place_order(
            ctx.session,
            phone=ctx.phone,
            lines=[OrderLineRequest(item_id, quantity) for item_id, quantity, _ in pending.lines],
            name=customer.name or "",
            address=customer.address or "",
            address_recording_url=customer.address_recording_url,
            channel="sms",
            rules=ctx.channel.rules,
            language=ctx.lang,
            now=ctx.now,
            prompts=ctx.prompts,
            agreed=pending.agreed(),
        )
    except ItemUnavailable as exc:
        return _requote(ctx, pending, gone=exc.item_ids)
    except PriceChanged:
        return _requote(ctx, pending, gone=())
    except OrderTooLarge as exc:
        return _refusal(ctx, exc)
    except (EmptyOrder, MixedMarkets):
        return ctx.text("sms.reply.lines_missing")
    return None  # the order's confirmation SMS (number, total, what next) is the answer


def _requote(ctx: SmsContext, pending: Pending, *, gone: Sequence[int]) -> str:
    """The quote rule: YA placed nothing, because an item sold out or a price or the fee
    changed since the quote. The reply names each change and quotes what can be ordered
    now, for a new YA."""
    changes = []
    if gone:
        changes.append(
            ctx.text("error.unavailable", items=", ".join(_item_label(ctx, i) for i in gone))
        )
    still = [OrderLineRequest(i, quantity) for i, quantity, _ in pending.lines if i not in gone]
    if not still:
        return ctx.text("sms.reply.requote_none", changes=" ".join(changes))
    try:
        priced = quote(ctx.session, still, rules=ctx.channel.rules, now=ctx.now)
    except OrderError as exc:
        return _refusal(ctx, exc)
    quoted = {item_id: price for item_id, _, price in pending.lines}
    catalog = ctx.catalog()
    for line in priced.lines:
        if quoted[line.item_id] != line.unit_price and (item := catalog.item(line.item_id)):
            changes.append(
                ctx.text(
                    "sms.reply.new_price",
                    name=item.label(ctx.lang),
                    price=Money(line.unit_price),
                    unit=Text.of(f"unit.{line.unit}"),
                )
            )
    if pending.delivery_fee not in (None, priced.delivery_fee):
        changes.append(ctx.text("sms.reply.new_fee", fee=Money(priced.delivery_fee)))
    _save_pending(ctx, priced)
    return ctx.text("sms.reply.requote", changes=" ".join(changes), summary=_summary(ctx, priced))


def _no(ctx: SmsContext, parsed: Parsed) -> str | None:
    pending = _pending(ctx)
    if ctx.courier is not None and not parsed.own_order:
        reply = sms_couriers.answer(ctx, parsed, accepting=False, own_pending=pending is not None)
        if reply is not None:
            return reply or None
    if pending is None:
        return ctx.text("sms.reply.nothing_pending")
    pending.convo.status = "dropped"
    return ctx.text("sms.reply.dropped")


def _status(ctx: SmsContext, parsed: Parsed) -> str:
    if ctx.courier is not None and (courier_status := sms_couriers.status(ctx, parsed)):
        return courier_status
    order, why_not = _named_order(ctx, parsed)
    if order is None:
        return why_not
    reply = ctx.text(
        "sms.reply.status",
        number=Digits(order.number),
        state=Text.of(f"sms.state.{order.state}"),
        total=Money(order.total),
    )
    if order.courier is not None and order.state in ACTIVE_JOB_STATES:
        reply += " " + ctx.text(
            "sms.reply.courier",
            courier=order.courier.name,
            phone=friendly_phone(order.courier.phone),
        )
    return reply


def _cancel(ctx: SmsContext, parsed: Parsed) -> str:
    if ctx.courier is not None and (released := sms_couriers.release(ctx, parsed)):
        return released
    order, why_not = _named_order(ctx, parsed)
    if order is None:
        return why_not
    if not cancel_order(ctx.session, order, now=ctx.now):
        state = Text.of(f"sms.state.{order.state}")
        return ctx.text("sms.reply.cannot_cancel", number=Digits(order.number), state=state)
    return ctx.text("sms.reply.cancelled", number=Digits(order.number))


def _named_order(ctx: SmsContext, parsed: Parsed) -> tuple[Order | None, str]:
    """The order a STATUS or BATAL is about (the newest if none is named), or why there is none."""
    if parsed.problem:
        return None, ctx.text("sms.reply.bad_order_number")
    order = None
    if ctx.customer is not None:
        order = order_queries.customer_order(ctx.session, ctx.customer.id, parsed.order_number)
    if order is not None:
        return order, ""
    if parsed.order_number:
        return None, ctx.text("sms.reply.order_not_found", number=parsed.order_number)
    return None, ctx.text("sms.reply.no_orders")


# ---------------------------------------------------------------- the customer


def _address(ctx: SmsContext, parsed: Parsed) -> str:
    text = tidy(parsed.text)
    if not text:
        return ctx.text("sms.reply.address_missing")
    if not valid_address(text):
        return ctx.text("address.invalid")
    ctx.ensure_customer().address = text
    return ctx.text("sms.reply.address_saved", address=_shortened(text))


def _name(ctx: SmsContext, parsed: Parsed) -> str:
    text = tidy(parsed.text)
    if not text:
        return ctx.text("sms.reply.name_missing")
    if not valid_name(text):
        return ctx.text("name.invalid")
    ctx.ensure_customer().name = text
    return ctx.text("sms.reply.name_saved", name=text)


def _language(ctx: SmsContext, parsed: Parsed) -> str:
    if parsed.language is None:
        return ctx.text("sms.reply.bad_language")
    ctx.ensure_customer().language = parsed.language
    if ctx.courier is not None:
        ctx.courier.language = parsed.language  # offers come in it too
    return ctx.text("sms.reply.language_saved")


def _help(ctx: SmsContext, parsed: Parsed) -> str:
    """The guide of what the sender may send: a courier's or a trader's commands first."""
    if ctx.courier is not None:
        return ctx.text("dispatch.reply.guide")
    if ctx.vendors:
        return ctx.text("dispatch.trader.guide")
    return ctx.text("sms.reply.guide")


def _stop(ctx: SmsContext, parsed: Parsed) -> str:
    customer = ctx.ensure_customer()
    customer.opted_out_at = customer.opted_out_at or ctx.now
    log.info("%s opted out of SMS", mask_phone(ctx.phone))
    return ctx.text("sms.reply.stopped")


def _start(ctx: SmsContext, parsed: Parsed) -> str:
    ctx.ensure_customer().opted_out_at = None
    return ctx.text("sms.reply.started")


def _unknown(ctx: SmsContext, parsed: Parsed) -> str | None:
    menu = menu_mode(ctx, ctx.body, start=False, typed=True)
    if menu is not None:
        return menu
    keyword = parsed.suggestion or "BANTUAN"
    return ctx.text("sms.reply.unknown", keyword=keyword, guide=Text.of("sms.reply.guide"))


def _back_in_stock(ctx: SmsContext, parsed: Parsed) -> str | None:
    """ADA B04 from a trader; from anyone else, `ada tomat?` asks whether there is any."""
    if ctx.vendors:
        return sms_couriers.trader_item(ctx, parsed)
    words = " ".join(ctx.body.split()[1:]).strip(" ?!.")
    if not words:
        return _unknown(ctx, parsed)
    return sms_browse.find(ctx, Parsed("find", text=words))


def _digits(ctx: SmsContext, parsed: Parsed) -> str | None:
    menu = menu_mode(ctx, parsed.text, start=False)
    return menu if menu is not None else ctx.text("sms.reply.menu_digits")


COMMANDS: dict[str, Callable[[SmsContext, Parsed], str | None]] = {
    "markets": sms_browse.markets,
    "menu": sms_browse.menu,
    "find": sms_browse.find,
    "order": _order,
    "yes": _yes,
    "no": _no,
    "status": _status,
    "cancel": _cancel,
    "address": _address,
    "name": _name,
    "language": _language,
    "help": _help,
    "stop": _stop,
    "start": _start,
    "unknown": _unknown,
    "digits": _digits,
    "ready": sms_couriers.ready,
    "rest": sms_couriers.rest,
    "pickup": sms_couriers.pickup,
    "delivered": sms_couriers.delivered,
    "failed": sms_couriers.failed,
    "books": sms_couriers.books,
    "sold_out": sms_couriers.trader_item,
    "back_in_stock": _back_in_stock,
    "price": sms_couriers.trader_item,
}


# ---------------------------------------------------------------- helpers


def _item_label(ctx: SmsContext, item_id: int) -> str:
    """An item named in the sender's language (`?` for one no longer in the catalog)."""
    item = ctx.catalog().item(item_id)
    return item.label(ctx.lang) if item else "?"


def _refusal(ctx: SmsContext, error: OrderError) -> str:
    """What an order rule's refusal says to the customer, in one SMS."""
    if isinstance(error, BadQuantity):
        return ctx.text("sms.reply.bad_quantity", max=error.maximum)
    if isinstance(error, ItemUnavailable):
        return ctx.text(
            "error.unavailable", items=", ".join(_item_label(ctx, i) for i in error.item_ids)
        )
    if isinstance(error, MixedMarkets):
        return ctx.text("sms.reply.mixed_markets")
    if isinstance(error, OrderTooLarge):
        return ctx.text("error.too_large", total=Money(error.goods_total), cap=Money(error.cap))
    return ctx.text("sms.reply.lines_missing")


def _shortened(text: str, limit: int = ECHO_LIMIT) -> str:
    """What we echo of a customer's own text, short enough for the reply to stay one SMS."""
    return text if len(text) <= limit else text[: limit - 2].rstrip() + ".."


def _has_details(customer: Customer | None) -> bool:
    return customer is not None and bool(
        customer.address_recording_url or (customer.name and customer.address)
    )


def _save_pending(ctx: SmsContext, priced: Quote) -> None:
    """Keep the quote (items, quantities, prices, fee) until YA, TIDAK or 30 minutes pass."""
    convo = queries.conversation(ctx.session, "sms", ctx.phone)
    if convo is None:
        convo = Conversation(
            channel="sms",
            session_key=ctx.phone,
            phone=ctx.phone,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.session.add(convo)
    expires_at = ctx.now + dt.timedelta(minutes=PENDING_MINUTES)
    convo.state = {
        "pending": [[line.item_id, line.quantity, line.unit_price] for line in priced.lines],
        "fee": priced.delivery_fee,
        "expires_at": expires_at.isoformat(),
    }
    convo.status = "pending"
    convo.updated_at = ctx.now


@dataclass(frozen=True)
class Pending:
    """A quote waiting for YA: (item id, quantity, unit price quoted) per line, the delivery
    fee quoted (None in a quote kept before fees were), and when it expires."""

    convo: Conversation
    lines: list[tuple[int, int, int | None]]
    delivery_fee: int | None
    expires_at: dt.datetime

    def agreed(self) -> AgreedPrices:
        """What the customer says yes to with YA."""
        prices = {i: price for i, _, price in self.lines if price is not None}
        return AgreedPrices(prices, self.delivery_fee)


def _pending(ctx: SmsContext) -> Pending | None:
    """This customer's quote waiting for YA, if there is one."""
    convo = queries.conversation(ctx.session, "sms", ctx.phone)
    if convo is None or convo.status != "pending":
        return None
    lines = [
        (int(line[0]), int(line[1]), int(line[2]) if len(line) > 2 else None)
        for line in convo.state["pending"]
    ]
    fee = convo.state.get("fee")
    expires_at = dt.datetime.fromisoformat(convo.state["expires_at"])
    return Pending(convo, lines, int(fee) if fee is not None else None, expires_at)


# ---------------------------------------------------------------- call backs


def offer_last_order(
    session: Session, *, phone: str, channel: SmsSettings, now: dt.datetime
) -> bool:
    """A call back nobody answered: the last order offered by SMS, `YA` places it.

    The quote is kept as a PESAN's is (prices and fee as offered, 30 minutes); nothing is
    sent when nothing of the last order can be ordered now. True when the offer went out.
    """
    customer = order_queries.customer_by_phone(session, phone)
    last = order_queries.last_order(session, customer.id) if customer else None
    if last is None:
        return False
    ctx = SmsContext(session, phone, channel, now, default_catalog(), customer)
    basket = [OrderLineRequest(line.item_id, line.quantity) for line in last.lines]
    try:
        priced = quote(session, basket, rules=channel.rules, now=now)
    except OrderError:
        return False  # sold out or changed past ordering: the how-to of the next ring helps
    _save_pending(ctx, priced)
    offer = _still_open(ctx) + ctx.text(
        "callback.offer",
        lines=_quoted_lines(ctx, priced),
        fee=Money(priced.delivery_fee),
        total=Money(priced.total),
    )
    enqueue_sms(session, to=phone, body=offer, kind="callback_offer", now=now)
    return True
