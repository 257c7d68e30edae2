"""Read queries: each takes the session first and never commits (the caller does)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storage.models import (
    OPEN_ORDER_STATES,
    Conversation,
    Customer,
    DeliveryReport,
    InboundMessage,
    Item,
    Market,
    Order,
    OutboundMessage,
    Vendor,
    WorkerHeartbeat,
)


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


def open_order_numbers(session: Session) -> set[str]:
    """Order numbers in use by orders that are not finished."""
    return set(session.scalars(select(Order.number).where(Order.state.in_(OPEN_ORDER_STATES))))


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


def inbound_count_before(
    session: Session, phone: str, *, since: dt.datetime, before_id: int
) -> int:
    """How many messages this number sent (any provider) since `since`, before `before_id`."""
    return session.scalar(
        select(func.count())
        .select_from(InboundMessage)
        .where(
            InboundMessage.phone == phone,
            InboundMessage.received_at >= since,
            InboundMessage.id < before_id,
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
