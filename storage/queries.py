"""Read queries: each takes the session first and never commits (the caller does)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from storage.models import (
    ACTIVE_JOB_STATES,
    NUMBER_HELD_STATES,
    OPEN_ORDER_STATES,
    REOPENABLE_OFFER_STATES,
    SAID_NO_OFFER_STATES,
    CatalogVersion,
    Conversation,
    Courier,
    Customer,
    DeliveryReport,
    InboundMessage,
    Item,
    Market,
    MissedRing,
    Offer,
    Order,
    OutboundCall,
    OutboundMessage,
    Staff,
    Vendor,
    WorkerHeartbeat,
)


def catalog_version(session: Session) -> int:
    """The number that changes whenever a market, trader or item does (one-row table)."""
    return session.scalar(select(CatalogVersion.version).where(CatalogVersion.id == 1)) or 0


def all_markets(session: Session) -> Sequence[Market]:
    """Every market with its traders and their items, in display order."""
    return session.scalars(
        select(Market)
        .options(selectinload(Market.vendors).selectinload(Vendor.items))
        .order_by(Market.position, Market.id)
    ).all()


def items_by_id(session: Session, item_ids: Sequence[int]) -> dict[int, Item]:
    """The items with these ids (with their trader loaded), keyed by id."""
    rows = session.scalars(
        select(Item).options(selectinload(Item.vendor)).where(Item.id.in_(item_ids))
    )
    return {item.id: item for item in rows}


def market_by_id(session: Session, market_id: int) -> Market | None:
    """One market."""
    return session.get(Market, market_id)


def customer_by_phone(session: Session, phone: str) -> Customer | None:
    """The customer who has this E.164 number, if any."""
    return session.scalar(select(Customer).where(Customer.phone == phone))


def last_order(session: Session, customer_id: int) -> Order | None:
    """The customer's newest order that was not cancelled, with its lines."""
    return session.scalar(
        select(Order)
        .options(selectinload(Order.lines))
        .where(Order.customer_id == customer_id, Order.state != "cancelled")
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(1)
    )


def recent_orders(session: Session, customer_id: int, limit: int = 10) -> Sequence[Order]:
    """The customer's newest orders, with their market and courier."""
    return session.scalars(
        select(Order)
        .options(selectinload(Order.market), selectinload(Order.courier))
        .where(Order.customer_id == customer_id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(limit)
    ).all()


def staff_list(session: Session) -> Sequence[Staff]:
    """Every console account, by username."""
    return session.scalars(select(Staff).order_by(Staff.username)).all()


def open_order_of(session: Session, customer_id: int) -> Order | None:
    """The customer's newest order still on its way, with its courier."""
    return session.scalar(
        select(Order)
        .options(selectinload(Order.courier))
        .where(Order.customer_id == customer_id, Order.state.in_(OPEN_ORDER_STATES))
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(1)
    )


def opted_out_since(session: Session, phones: Sequence[str]) -> dict[str, dt.datetime]:
    """Of these numbers, those that sent STOP, and when (one query for any number of them)."""
    if not phones:
        return {}
    return dict(
        session.execute(
            select(Customer.phone, Customer.opted_out_at).where(
                Customer.phone.in_(set(phones)), Customer.opted_out_at.is_not(None)
            )
        ).all()
    )


def languages_of(session: Session, phones: Sequence[str]) -> dict[str, str | None]:
    """The language each of these numbers chose (BAHASA), for those that are customers."""
    if not phones:
        return {}
    return dict(
        session.execute(
            select(Customer.phone, Customer.language).where(Customer.phone.in_(set(phones)))
        ).all()
    )


def lock_for(session: Session, key: str) -> None:
    """Hold a lock named `key` until this transaction ends (PostgreSQL's transaction-level
    advisory lock). Two transactions that each write one thing and read the other's (a
    delivery report and the worker recording its message as sent) take it first, so that
    one sees what the other committed. SQLite runs one writer at a time: nothing to do."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


def open_order_numbers(session: Session) -> set[str]:
    """Order numbers held: by orders not finished, or that staff can still reopen."""
    return set(session.scalars(select(Order.number).where(Order.state.in_(NUMBER_HELD_STATES))))


def conversation(session: Session, channel: str, session_key: str) -> Conversation | None:
    """The conversation of one provider session."""
    return session.scalar(
        select(Conversation).where(
            Conversation.channel == channel, Conversation.session_key == session_key
        )
    )


def resumable_conversation(
    session: Session, *, channel: str, phone: str, since: dt.datetime
) -> Conversation | None:
    """The newest unfinished conversation of this number on this channel, touched since `since`."""
    return session.scalar(
        select(Conversation)
        .where(
            Conversation.channel == channel,
            Conversation.phone == phone,
            Conversation.status == "active",
            Conversation.updated_at >= since,
        )
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
        .limit(1)
    )


def outbox_backlog(session: Session, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """How many outbox messages are due and not sent, and since when the oldest has been due."""
    due = (OutboundMessage.state.in_(("pending", "sending")), OutboundMessage.next_try_at <= now)
    count, oldest = session.execute(
        select(func.count(), func.min(OutboundMessage.next_try_at)).where(*due)
    ).one()
    return count, oldest


def last_heartbeat(session: Session) -> dt.datetime | None:
    """When a worker was last heard from."""
    return session.scalar(
        select(WorkerHeartbeat.beat_at).order_by(WorkerHeartbeat.beat_at.desc()).limit(1)
    )


def waiting_reports(session: Session, provider_message_id: str) -> Sequence[DeliveryReport]:
    """Delivery reports for this provider id not applied yet, oldest first."""
    return session.scalars(
        select(DeliveryReport)
        .where(
            DeliveryReport.provider_message_id == provider_message_id,
            DeliveryReport.applied_at.is_(None),
        )
        .order_by(DeliveryReport.id)
    ).all()


def due_inbound(session: Session, now: dt.datetime, limit: int = 50) -> Sequence[InboundMessage]:
    """Stored SMS still waiting to be handled whose next try is due, oldest first."""
    return session.scalars(
        select(InboundMessage)
        .where(InboundMessage.state == "pending", InboundMessage.next_try_at <= now)
        .order_by(InboundMessage.next_try_at, InboundMessage.id)
        .limit(limit)
    ).all()


def catalog_names(session: Session) -> list[str]:
    """Every name a caller may hear: markets, traders, items (Indonesian and English)."""
    names: list[str] = []
    for market in all_markets(session):
        names.append(market.name)
        for vendor in market.vendors:
            names.append(vendor.name)
            names += [name for item in vendor.items for name in (item.name, item.name_en)]
    return names


def inbound_message(session: Session, provider: str, message_id: str) -> InboundMessage | None:
    """A message already received from this provider with this id."""
    return session.scalar(
        select(InboundMessage).where(
            InboundMessage.provider == provider,
            InboundMessage.provider_message_id == message_id,
        )
    )


def earlier_pending_inbound(
    session: Session, phone: str, before_id: int, held_back: str
) -> InboundMessage | None:
    """The number's latest message before `before_id` held back and still waiting."""
    return session.scalar(
        select(InboundMessage)
        .where(
            InboundMessage.phone == phone,
            InboundMessage.state == "pending",
            InboundMessage.last_error == held_back,
            InboundMessage.id < before_id,
        )
        .order_by(InboundMessage.next_try_at.desc())
        .limit(1)
    )


def held_count(session: Session, phone: str, held_back: str) -> int:
    """How many of the number's messages are held back and waiting."""
    return session.scalar(
        select(func.count())
        .select_from(InboundMessage)
        .where(
            InboundMessage.phone == phone,
            InboundMessage.state == "pending",
            InboundMessage.last_error == held_back,
        )
    )


def held_since(session: Session, phone: str, since: dt.datetime, held_back: str) -> bool:
    """Whether a message of the number received since `since` was held back (and told so)."""
    return (
        session.scalar(
            select(InboundMessage.id)
            .where(
                InboundMessage.phone == phone,
                InboundMessage.received_at >= since,
                InboundMessage.last_error == held_back,
            )
            .limit(1)
        )
        is not None
    )


def handled_since(
    session: Session, phone: str, since: dt.datetime, except_id: int
) -> list[dt.datetime]:
    """When the number's messages handled since `since` were handled, oldest first."""
    return list(
        session.scalars(
            select(InboundMessage.handled_at)
            .where(
                InboundMessage.phone == phone,
                InboundMessage.state == "handled",
                InboundMessage.handled_at >= since,
                InboundMessage.id != except_id,
            )
            .order_by(InboundMessage.handled_at)
        )
    )


def customer_order(session: Session, customer_id: int, number: str | None) -> Order | None:
    """The customer's order with this number (the newest such), or their newest order."""
    query = select(Order).where(Order.customer_id == customer_id)
    if number is not None:
        query = query.where(Order.number == number)
    return session.scalar(query.order_by(Order.placed_at.desc(), Order.id.desc()).limit(1))


def outbound_by_provider_id(session: Session, provider_message_id: str) -> OutboundMessage | None:
    """The outbox message a provider knows by this id."""
    return session.scalar(
        select(OutboundMessage).where(OutboundMessage.provider_message_id == provider_message_id)
    )


# ---------------------------------------------------------------- dispatch


def order_for_dispatch(session: Session, order_id: int) -> Order | None:
    """An order with what dispatch tells people: lines, customer, market, courier."""
    return session.scalar(
        select(Order)
        .options(
            selectinload(Order.lines),
            selectinload(Order.customer),
            selectinload(Order.market),
            selectinload(Order.courier),
        )
        .where(Order.id == order_id)
    )


def courier_by_phone(session: Session, phone: str) -> Courier | None:
    """The courier registered with this E.164 number, if any."""
    return session.scalar(select(Courier).where(Courier.phone == phone))


def all_couriers(session: Session) -> Sequence[Courier]:
    """Every courier, by market and name."""
    return session.scalars(
        select(Courier)
        .options(selectinload(Courier.market))
        .order_by(Courier.market_id, Courier.name, Courier.id)
    ).all()


def free_couriers(
    session: Session,
    *,
    market_id: int | None,
    leave_out: Sequence[int] = (),
    only: int | None = None,
) -> Sequence[Courier]:
    """Couriers who may get an offer now: available, not opted out, with no job in hand.

    Of one market, or of every market when `market_id` is None; never those in `leave_out`;
    just the courier `only` when it is given.
    """
    busy = select(Order.courier_id).where(
        Order.state.in_(ACTIVE_JOB_STATES), Order.courier_id.is_not(None)
    )
    opted_out = select(Customer.phone).where(Customer.opted_out_at.is_not(None))
    query = select(Courier).where(
        Courier.available.is_(True),
        Courier.id.not_in(busy),
        Courier.phone.not_in(opted_out),
    )
    if market_id is not None:
        query = query.where(Courier.market_id == market_id)
    if leave_out:
        query = query.where(Courier.id.not_in(leave_out))
    if only is not None:
        query = query.where(Courier.id == only)
    return session.scalars(query.order_by(Courier.id)).all()


def jobs_by_courier(session: Session) -> dict[int, Order]:
    """Every courier's job in hand, keyed by courier id (one query for a whole list)."""
    jobs = session.scalars(
        select(Order).where(Order.state.in_(ACTIVE_JOB_STATES), Order.courier_id.is_not(None))
    )
    return {order.courier_id: order for order in jobs if order.courier_id is not None}


def courier_job(session: Session, courier_id: int) -> Order | None:
    """The order a courier has taken and not delivered yet."""
    return session.scalar(
        select(Order).where(Order.courier_id == courier_id, Order.state.in_(ACTIVE_JOB_STATES))
    )


def open_offers_of_courier(session: Session, courier_id: int) -> Sequence[Offer]:
    """A courier's offers still waiting for an answer, oldest first, with their orders."""
    return session.scalars(
        select(Offer)
        .options(selectinload(Offer.order))
        .where(Offer.courier_id == courier_id, Offer.state == "open")
        .order_by(Offer.id)
    ).all()


def courier_offer(session: Session, courier_id: int, number: str) -> Offer | None:
    """The courier's newest offer of an order with this number."""
    return session.scalar(
        select(Offer)
        .join(Offer.order)
        .where(Offer.courier_id == courier_id, Order.number == number)
        .order_by(Offer.id.desc())
        .limit(1)
    )


def offers_of_order(
    session: Session, order_id: int, *, states: Sequence[str] | None = None
) -> Sequence[Offer]:
    """An order's offers (in these states), with their couriers."""
    query = (
        select(Offer)
        .options(selectinload(Offer.courier))
        .where(Offer.order_id == order_id)
        # Offers change by UPDATE statements: never trust a copy loaded earlier in the session.
        .execution_options(populate_existing=True)
    )
    if states is not None:
        query = query.where(Offer.state.in_(states))
    return session.scalars(query.order_by(Offer.id)).all()


def offers_by_id(session: Session, offer_ids: Sequence[int]) -> Sequence[Offer]:
    """These offers, with their couriers, by id."""
    return session.scalars(
        select(Offer)
        .options(selectinload(Offer.courier))
        .where(Offer.id.in_(offer_ids))
        .order_by(Offer.id)
        .execution_options(populate_existing=True)
    ).all()


def offers_of_courier(
    session: Session, courier_id: int, order_ids: Sequence[int]
) -> Sequence[Offer]:
    """A courier's offers of these orders, every round (one query for any number)."""
    if not order_ids:
        return []
    return session.scalars(
        select(Offer)
        .where(Offer.courier_id == courier_id, Offer.order_id.in_(order_ids))
        .execution_options(populate_existing=True)
    ).all()


def insert_offers(session: Session, rows: Sequence[dict]) -> set[tuple[int, int]]:
    """New offers (order_id, courier_id, round, created_at) in one INSERT; an offer that
    exists already (another request made it this very moment) is left as it is. Returns
    the (order_id, courier_id) of those inserted."""
    if not rows:
        return set()
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Offer)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=["order_id", "courier_id", "round"])
        .returning(Offer.order_id, Offer.courier_id)
    )
    return {(order_id, courier_id) for order_id, courier_id in session.execute(statement)}


def reopen_offers(session: Session, offer_ids: Sequence[int], now: dt.datetime) -> set[int]:
    """Open again these offers where they were closed (the order came back); their ids."""
    if not offer_ids:
        return set()
    return set(
        session.execute(
            update(Offer)
            .where(Offer.id.in_(offer_ids), Offer.state.in_(REOPENABLE_OFFER_STATES))
            .values(state="open", created_at=now, answered_at=None)
            .returning(Offer.id)
            .execution_options(synchronize_session=False)
        ).scalars()
    )


def couriers_who_said_no(session: Session, order_id: int) -> list[int]:
    """Couriers who declined this order, or took it and gave it back: never offered it again."""
    return list(
        session.scalars(
            select(Offer.courier_id).where(
                Offer.order_id == order_id, Offer.state.in_(SAID_NO_OFFER_STATES)
            )
        )
    )


def unsent_notice(session: Session, *, to: str, order_id: int, kind: str) -> bool:
    """True when a message of this kind about this order still waits in the outbox for `to`."""
    return (
        session.scalar(
            select(OutboundMessage.id)
            .where(
                OutboundMessage.to == to,
                OutboundMessage.order_id == order_id,
                OutboundMessage.kind == kind,
                OutboundMessage.state.in_(("pending", "sending")),
            )
            .limit(1)
        )
        is not None
    )


def orders_to_offer(session: Session, now: dt.datetime) -> list[int]:
    """Placed orders due for their first offers (their market is open, or has opened)."""
    return list(
        session.scalars(
            select(Order.id)
            .where(
                Order.state == "placed",
                (Order.deliver_after.is_(None)) | (Order.deliver_after <= now),
            )
            .order_by(Order.id)
        )
    )


def offers_run_out(session: Session, offered_before: dt.datetime) -> list[int]:
    """Offered orders whose round of offers began before `offered_before`."""
    return list(
        session.scalars(
            select(Order.id)
            .where(Order.state == "offered", Order.offered_at <= offered_before)
            .order_by(Order.id)
        )
    )


def current_offers_for(session: Session, courier: Courier) -> Sequence[Order]:
    """Offered orders this courier could be offered now (its market's, or any in round 2),
    with what an offer SMS names (customer, market, lines)."""
    return session.scalars(
        select(Order)
        .options(
            selectinload(Order.customer), selectinload(Order.market), selectinload(Order.lines)
        )
        .where(
            Order.state == "offered",
            (Order.offer_round >= 2) | (Order.market_id == courier.market_id),
        )
        .order_by(Order.id)
    ).all()


def vendors_by_phone(session: Session, phone: str) -> Sequence[Vendor]:
    """The traders registered with this number (one person may keep two stalls)."""
    return session.scalars(
        select(Vendor).options(selectinload(Vendor.items)).where(Vendor.phone == phone)
    ).all()


def vendors_by_id(session: Session, vendor_ids: Sequence[int]) -> dict[int, Vendor]:
    """These traders, keyed by id."""
    return {v.id: v for v in session.scalars(select(Vendor).where(Vendor.id.in_(vendor_ids)))}


def item_by_code(session: Session, code: str) -> Item | None:
    """The item with this code."""
    return session.scalar(select(Item).where(Item.code == code))


# ---------------------------------------------------------------- the console


def search_items(session: Session, words: str, limit: int = 20) -> Sequence[Item]:
    """Items whose code starts with, or whose name holds, `words`, across markets."""
    text = words.strip()
    if not text:
        return []
    pattern = f"%{text.lower()}%"
    return session.scalars(
        select(Item)
        .join(Item.vendor)
        .options(selectinload(Item.vendor).selectinload(Vendor.market))
        .where(
            (func.upper(Item.code).startswith(text.upper()))
            | func.lower(Item.name).like(pattern)
            | func.lower(Item.name_en).like(pattern)
        )
        .order_by(Item.available.desc(), Item.code)
        .limit(limit)
    ).all()


BOARD_STATES = ("placed", "offered", "assigned", "picked_up", "unassigned")


def board_orders(session: Session, since: dt.datetime) -> Sequence[Order]:
    """Orders on their way placed since `since`, and every order left without a courier
    (however old: it holds its number until staff give it to someone or cancel it)."""
    return session.scalars(
        select(Order)
        .options(
            selectinload(Order.customer),
            selectinload(Order.courier),
            selectinload(Order.market),
        )
        .where(
            or_(
                and_(Order.state.in_(BOARD_STATES), Order.placed_at >= since),
                Order.state == "unassigned",
            )
        )
        .order_by(Order.placed_at, Order.id)
    ).all()


def open_offer_counts(session: Session, order_ids: Sequence[int]) -> dict[int, int]:
    """How many open offers each of these orders has."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(Offer.order_id, func.count())
        .where(Offer.order_id.in_(order_ids), Offer.state == "open")
        .group_by(Offer.order_id)
    ).all()
    return {order_id: count for order_id, count in rows}


def couriers_without_a_job(session: Session) -> Sequence[Courier]:
    """Couriers the call center may give an order to by hand: available ones first."""
    busy = select(Order.courier_id).where(
        Order.state.in_(ACTIVE_JOB_STATES), Order.courier_id.is_not(None)
    )
    return session.scalars(
        select(Courier)
        .options(selectinload(Courier.market))
        .where(Courier.id.not_in(busy))
        .order_by(Courier.available.desc(), Courier.market_id, Courier.name)
    ).all()


def troubled_messages(session: Session, limit: int = 100) -> Sequence[OutboundMessage]:
    """Outbox messages that failed at the provider or ran out of tries, newest first."""
    return session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.state.in_(("failed", "dead")))
        .order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
        .limit(limit)
    ).all()


def sms_thread(
    session: Session, phone: str, limit: int = 100
) -> list[tuple[dt.datetime, str, str, str]]:
    """Every SMS from and to one number, oldest first: (time, "in" | "out", text, state)."""
    inbound = session.execute(
        select(InboundMessage.received_at, InboundMessage.body, InboundMessage.state)
        .where(InboundMessage.phone == phone)
        .order_by(InboundMessage.received_at.desc())
        .limit(limit)
    ).all()
    outbound = session.execute(
        select(OutboundMessage.created_at, OutboundMessage.body, OutboundMessage.state)
        .where(OutboundMessage.to == phone)
        .order_by(OutboundMessage.created_at.desc())
        .limit(limit)
    ).all()
    thread = [(at, "in", body, state) for at, body, state in inbound]
    thread += [(at, "out", body, state) for at, body, state in outbound]
    return sorted(thread, key=lambda entry: entry[0])[-limit:]


def traders_with_phones(session: Session) -> Sequence[Vendor]:
    """Traders who text from a registered phone, by market and position."""
    return session.scalars(
        select(Vendor)
        .options(selectinload(Vendor.market))
        .where(Vendor.phone.is_not(None))
        .order_by(Vendor.market_id, Vendor.position, Vendor.id)
    ).all()


def recent_customers(session: Session, limit: int = 10) -> Sequence[Customer]:
    """The customers who came most recently."""
    return session.scalars(
        select(Customer).order_by(Customer.created_at.desc(), Customer.id.desc()).limit(limit)
    ).all()


def sms_sent_since(session: Session, phone: str, kind: str, since: dt.datetime) -> bool:
    """Whether an SMS of `kind` was written to `phone` after `since`, or is still to go."""
    return (
        session.scalar(
            select(OutboundMessage.id)
            .where(
                OutboundMessage.to == phone,
                OutboundMessage.kind == kind,
                or_(OutboundMessage.created_at > since, OutboundMessage.state == "pending"),
            )
            .limit(1)
        )
        is not None
    )


def outbound_call(session: Session, call_id: int) -> OutboundCall | None:
    """One call back, by our id."""
    return session.get(OutboundCall, call_id)


def rings_since(session: Session, since: dt.datetime, outcomes: Sequence[str]) -> int:
    """How many rings on the missed-call number since `since` led to one of `outcomes`."""
    return session.scalar(
        select(func.count())
        .select_from(MissedRing)
        .where(MissedRing.at >= since, MissedRing.outcome.in_(outcomes))
    )


def calls_ringing_since(session: Session, since: dt.datetime) -> Sequence[OutboundCall]:
    """Call backs still `ringing` that started ringing before `since`."""
    return session.scalars(
        select(OutboundCall)
        .where(OutboundCall.state == "ringing", OutboundCall.updated_at < since)
        .order_by(OutboundCall.id)
        .limit(100)
    ).all()


def outbound_call_by_provider_id(session: Session, provider_call_id: str) -> OutboundCall | None:
    """The call back the provider knows by this id (Africa's Talking's sessionId)."""
    return session.scalar(
        select(OutboundCall).where(OutboundCall.provider_call_id == provider_call_id)
    )


def recent_calls(session: Session, limit: int = 50) -> Sequence[OutboundCall]:
    """The newest call backs, for the console."""
    return session.scalars(
        select(OutboundCall)
        .order_by(OutboundCall.created_at.desc(), OutboundCall.id.desc())
        .limit(limit)
    ).all()


def ringing_call_back(session: Session, phone: str) -> OutboundCall | None:
    """The call back ringing at `phone` now (placed, not yet answered or given up on)."""
    return session.scalar(
        select(OutboundCall)
        .where(OutboundCall.phone == phone, OutboundCall.state == "ringing")
        .order_by(OutboundCall.id.desc())
        .limit(1)
    )
