"""`place_order`: a basket becomes an order, priced, numbered, with its confirmation SMS."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.delivery import queries as delivery_queries
from domain.delivery.dispatch import give_up, move_order, offer_order, withdraw_offers
from domain.hours import next_opening
from domain.messaging.outbox import enqueue_sms
from domain.orders import queries
from domain.orders.customers import customer_for
from domain.orders.errors import EmptyOrder, PriceChanged
from domain.orders.rules import Goods, OrderRules
from domain.phones import friendly_phone
from settings import DEFAULT_TIMEZONE
from storage.models import CANCELLABLE_STATES, Customer, Order, OrderEntry, OrderLine
from telemetry.metrics import ORDERS_PLACED, on_commit
from voice_prompts import Money, PromptCatalog, Text, When, default_catalog

NUMBER_LENGTHS = (4, 5, 6)
TRIES_PER_LENGTH = 20


@dataclass(frozen=True)
class OrderLineRequest:
    item_id: int
    quantity: int


@dataclass(frozen=True)
class PlacedOrder:
    order_id: int
    number: str
    goods_total: int
    delivery_fee: int
    total: int
    deliver_after: dt.datetime | None  # the market's next opening, local time; None if open
    timezone: str = DEFAULT_TIMEZONE  # the market's
    nobody_free: bool = False  # no courier could be offered it: staff will call the customer


@dataclass(frozen=True)
class QuotedLine:
    """One item of a quote, as it is sold today."""

    item_id: int
    code: str
    name: str
    unit: str
    quantity: int
    unit_price: int


@dataclass(frozen=True)
class Quote:
    """A basket checked against the order rules and priced; nothing is written."""

    market_id: int
    lines: tuple[QuotedLine, ...]  # one per item, quantities merged, in first-seen order
    goods_total: int
    delivery_fee: int
    deliver_after: dt.datetime | None  # the market's next opening, local time; None if open
    timezone: str = DEFAULT_TIMEZONE  # the market's

    @property
    def total(self) -> int:
        """What the customer pays the courier: goods and delivery."""
        return self.goods_total + self.delivery_fee

    def agreed(self) -> AgreedPrices:
        """The prices this quote states, for the customer to agree to."""
        return AgreedPrices(
            {line.item_id: line.unit_price for line in self.lines}, self.delivery_fee
        )


@dataclass(frozen=True)
class AgreedPrices:
    """The prices a customer was quoted and said yes to: each item's unit price, and the
    delivery fee (None: the quote did not state one). `place_order` charges exactly these
    or places nothing."""

    unit_prices: Mapping[int, int]
    delivery_fee: int | None = None

    def check(self, priced: Quote) -> None:
        """Raise PriceChanged unless `priced` charges what was agreed."""
        repriced = [
            line.item_id
            for line in priced.lines
            if self.unit_prices.get(line.item_id) != line.unit_price
        ]
        fee_changed = self.delivery_fee not in (None, priced.delivery_fee)
        if repriced or fee_changed:
            raise PriceChanged(repriced, priced.delivery_fee if fee_changed else None)


def quote(
    session: Session, lines: Sequence[OrderLineRequest], *, rules: OrderRules, now: dt.datetime
) -> Quote:
    """Check a basket against `rules` and price it at today's prices, writing nothing.

    Raises EmptyOrder (BadQuantity), ItemUnavailable, MixedMarkets or OrderTooLarge.
    """
    quantities = rules.merge((line.item_id, line.quantity) for line in lines)
    items = delivery_queries.items_by_id(session, list(quantities))
    goods = {
        item_id: Goods(item.vendor.market_id, item.price, item.available, item.name)
        for item_id, item in items.items()
    }
    goods_total = rules.check(quantities, goods)
    market = queries.market_by_id(session, goods[next(iter(quantities))].market_id)
    assert market is not None
    return Quote(
        market_id=market.id,
        lines=tuple(
            QuotedLine(i, items[i].code, items[i].name, items[i].unit, q, items[i].price)
            for i, q in quantities.items()
        ),
        goods_total=goods_total,
        delivery_fee=market.delivery_fee,
        deliver_after=next_opening(market.opens_at, market.closes_at, market.timezone, now),
        timezone=market.timezone,
    )


def place_order(
    session: Session,
    *,
    phone: str,
    lines: Sequence[OrderLineRequest],
    name: str,
    address: str,
    channel: str,
    rules: OrderRules,
    language: str = "id",
    address_recording_url: str | None = None,
    now: dt.datetime,
    prompts: PromptCatalog | None = None,
    entered_by: int | None = None,
    agreed: AgreedPrices | None = None,
) -> PlacedOrder:
    """Check, price (`quote`) and number an order; write it and its confirmation SMS.

    The caller commits. `entered_by` is the staff member who entered it for a caller (the
    console). `agreed` is the quote the customer said yes to: the order is charged exactly
    that, or nothing is placed (PriceChanged). The order's rules are `rules`
    (domain/orders/rules.py); it raises EmptyOrder (BadQuantity; no name and address),
    ItemUnavailable (naming the items), MixedMarkets, OrderTooLarge or PriceChanged, and
    then writes nothing.
    """
    prompts = prompts or default_catalog()
    if not address_recording_url and not (name.strip() and address.strip()):
        raise EmptyOrder("an order needs a name and an address, written or spoken")
    priced = quote(session, lines, rules=rules, now=now)
    if agreed is not None:
        agreed.check(priced)
    numbers_in_use = queries.open_order_numbers(session)
    customer = _customer(
        session,
        phone,
        name=name,
        address=address,
        address_recording_url=address_recording_url,
        language=language,
        now=now,
    )
    session.flush()  # the customer has its id before the order's savepoint begins
    order = Order(
        customer_id=customer.id,
        market_id=priced.market_id,
        channel=channel,
        delivery_name=name.strip(),
        delivery_address=address.strip(),
        delivery_address_recording_url=address_recording_url,
        goods_total=priced.goods_total,
        delivery_fee=priced.delivery_fee,
        total=priced.total,
        placed_at=now,
        deliver_after=priced.deliver_after,
        entered_by_id=entered_by,
        lines=[
            OrderLine(
                item_id=line.item_id,
                item_code=line.code,
                item_name=line.name,
                unit=line.unit,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.unit_price * line.quantity,
            )
            for line in priced.lines
        ],
    )
    _insert_with_number(session, order, numbers_in_use)
    market = queries.market_by_id(session, priced.market_id)  # read by quote already
    placed = ORDERS_PLACED.labels(channel, market.code if market else "-")
    on_commit(session, placed.inc)
    # The confirmation says what really happens next: couriers are being asked; nobody is
    # free and staff will call (one SMS, never a second that takes the first back); or a
    # closed market's order waits for its opening (the worker's sweep offers it then). It is
    # written before the offers, so that the customer's SMS goes out before theirs.
    lang = customer.language or language
    body = confirmation_sms(prompts, lang, order, priced)
    confirmation = enqueue_sms(
        session, to=phone, body=body, kind="order_update", order=order, now=now
    )
    nobody_free = False
    if priced.deliver_after is None and offer_order(session, order, now=now) == 0:
        if give_up(session, order, now=now, policy=rules.dispatch, tell_customer=False):
            nobody_free = True
            session.delete(confirmation)  # nothing was offered: nothing went before it
            body = confirmation_sms(
                prompts, lang, order, priced, nobody=True,
                call_center=rules.dispatch.call_center_number,
            )  # fmt: skip
            enqueue_sms(session, to=phone, body=body, kind="order_update", order=order, now=now)
    return PlacedOrder(
        order.id,
        order.number,
        priced.goods_total,
        priced.delivery_fee,
        priced.total,
        priced.deliver_after,
        priced.timezone,
        nobody_free,
    )


def cancel_order(session: Session, order: Order, *, now: dt.datetime) -> bool:
    """Cancel an order no courier has taken yet; False (state refreshed) when it is past that.

    One conditional UPDATE, never read-then-write: a courier accepting the order at the same
    moment either wins (and the order is not cancelled) or finds it cancelled. Its open
    offers are withdrawn. A failed delivery offered again is past that: a courier has
    bought its goods.
    """
    not_bought = Order.goods_with_id.is_(None)
    cancelled = move_order(session, order, CANCELLABLE_STATES, "cancelled", not_bought)
    if cancelled:
        withdraw_offers(session, order, now=now)
    return cancelled


def confirmation_sms(
    prompts: PromptCatalog,
    lang: str,
    order: Order,
    priced: Quote,
    *,
    nobody: bool = False,
    call_center: str = "",
) -> str:
    """The customer's confirmation in one SMS: number, money, what happens next (`nobody`:
    no courier is free now, and staff will call; the total alone then, so that the call
    center's number still fits one SMS)."""
    if nobody and call_center:
        next_step = Text.of("sms.next_staff_call", call_center=friendly_phone(call_center))
    elif nobody:
        next_step = Text.of("sms.next_staff")
    elif priced.deliver_after is None:
        next_step = Text.of("sms.next_courier")
    else:
        next_step = Text.of("sms.next_later", when=When(priced.deliver_after, priced.timezone))
    if nobody:
        short = Text.of(
            "sms.order_placed_nobody", number=order.number, total=Money(order.total), next=next_step
        )
        return prompts.render(short, lang)
    return prompts.render(
        Text.of(
            "sms.order_placed",
            number=order.number,
            goods=Money(order.goods_total),
            fee=Money(order.delivery_fee),
            total=Money(order.total),
            next=next_step,
        ),
        lang,
    )


def _customer(
    session: Session,
    phone: str,
    *,
    name: str,
    address: str,
    address_recording_url: str | None,
    language: str,
    now: dt.datetime,
) -> Customer:
    """The customer with this number, created or completed with what they just told us."""
    customer = customer_for(session, phone, now=now)
    customer.name = customer.name or name.strip() or None
    customer.address = customer.address or address.strip() or None
    customer.address_recording_url = customer.address_recording_url or address_recording_url
    customer.language = customer.language or language
    return customer


class EntryUsed(Exception):
    """A console form's one-time key already placed an order for another caller (a page
    restored by the browser's Back button, say): nothing is placed, the page must be
    loaded again."""


def claim_entry(session: Session, key: str, *, phone: str, now: dt.datetime) -> Order | bool:
    """Take a console form's one-time key for this transaction: True when it is new; when an
    order was placed with it already for this caller, that order (False while another
    request is placing it). Two requests with the same key at once: the second waits for
    the first's commit (the primary key), then finds its order. EntryUsed when the key was
    used for another caller."""
    try:
        with session.begin_nested():
            session.add(OrderEntry(key=key, phone=phone, created_at=now))
            session.flush()
        return True
    except IntegrityError:
        entry = session.get(OrderEntry, key, populate_existing=True)
        if entry is not None and entry.phone != phone:
            raise EntryUsed(key) from None
        return entry.order if entry is not None and entry.order is not None else False


def record_entry(session: Session, key: str, order_id: int) -> None:
    """The order placed with a console form's key (claimed by `claim_entry`)."""
    entry = session.get(OrderEntry, key)
    if entry is not None:
        entry.order_id = order_id


def _insert_with_number(session: Session, order: Order, in_use: set[str]) -> None:
    """Give the order a short number no order holds (open, or one staff may reopen) and
    insert it.

    The partial unique index on held order numbers settles a race between two web
    processes: the loser's savepoint rolls back and it draws again.
    """
    for length in NUMBER_LENGTHS:
        low, high = 10 ** (length - 1), 10**length
        for _ in range(TRIES_PER_LENGTH):
            number = str(low + secrets.randbelow(high - low))
            if number in in_use:
                continue
            order.number = number
            try:
                with session.begin_nested():
                    session.add(order)
                    session.flush()
                return
            except IntegrityError:
                in_use.add(number)
    raise RuntimeError("no free order number: too many open orders")
