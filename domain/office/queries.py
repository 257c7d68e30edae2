"""Reads of running the office: staff accounts, the register of couriers and traders, the
catalog's names.

Each takes the session first and never commits (the caller does).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from domain.delivery.ledger import OFFICE
from domain.orders import queries as order_queries
from storage.models import (
    Courier,
    Customer,
    DeliveryFailure,
    Item,
    Movement,
    Order,
    OrderLine,
    OutboundMessage,
    Staff,
    Vendor,
)


def staff_list(session: Session) -> Sequence[Staff]:
    """Every console account, by username."""
    return session.scalars(select(Staff).order_by(Staff.username)).all()


def catalog_names(session: Session) -> list[str]:
    """Every name a caller may hear: markets, traders, items (Indonesian and English)."""
    names: list[str] = []
    for market in order_queries.all_markets(session):
        names.append(market.name)
        for vendor in market.vendors:
            names.append(vendor.name)
            names += [name for item in vendor.items for name in (item.name, item.name_en)]
    return names


def all_couriers(session: Session) -> Sequence[Courier]:
    """Every courier, by market and name."""
    return session.scalars(
        select(Courier)
        .options(selectinload(Courier.market))
        .order_by(Courier.market_id, Courier.name, Courier.id)
    ).all()


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


# ---------------------------------------------------------------- the books


def movements_of_parties(
    session: Session, parties: Sequence[str], *, day: dt.date
) -> Sequence[Movement]:
    """The movements of a day that these parties paid or received."""
    if not parties:
        return []
    return session.scalars(
        select(Movement)
        .where(Movement.day == day, or_(Movement.payer.in_(parties), Movement.payee.in_(parties)))
        .order_by(Movement.id)
    ).all()


def movements_with_office(
    session: Session, parties: Sequence[str], *, until: dt.date
) -> Sequence[Movement]:
    """Every movement between these parties and the office up to the end of a day."""
    if not parties:
        return []
    return session.scalars(
        select(Movement)
        .where(
            Movement.day <= until,
            or_(
                and_(Movement.payer.in_(parties), Movement.payee == OFFICE),
                and_(Movement.payee.in_(parties), Movement.payer == OFFICE),
            ),
        )
        .order_by(Movement.id)
    ).all()


def failures_per_courier(session: Session, day: dt.date) -> dict[int, int]:
    """How many GAGAL each courier sent on a day."""
    rows = session.execute(
        select(DeliveryFailure.courier_id, func.count())
        .where(DeliveryFailure.day == day)
        .group_by(DeliveryFailure.courier_id)
    ).all()
    return {courier_id: count for courier_id, count in rows}


def goods_held(session: Session) -> dict[int, list[int]]:
    """Now: the goods totals of the orders each courier has paid for and not handed on."""
    held: dict[int, list[int]] = defaultdict(list)
    rows = session.execute(
        select(Order.goods_with_id, Order.goods_total).where(Order.goods_with_id.is_not(None))
    ).all()
    for courier_id, goods_total in rows:
        held[courier_id].append(goods_total)
    return held


def lines_per_vendor(
    session: Session, order_ids: Collection[int | None]
) -> dict[tuple[int, int], int]:
    """How many lines of each of these orders each trader sells: (vendor id, order id)."""
    ids = [order_id for order_id in order_ids if order_id is not None]
    if not ids:
        return {}
    rows = session.execute(
        select(Item.vendor_id, OrderLine.order_id, func.count())
        .join(Item, Item.id == OrderLine.item_id)
        .where(OrderLine.order_id.in_(ids))
        .group_by(Item.vendor_id, OrderLine.order_id)
    ).all()
    return {(vendor_id, order_id): count for vendor_id, order_id, count in rows}


def vendors_paid_on(session: Session, day: dt.date) -> Sequence[Vendor]:
    """The traders paid, or who gave money back, on a day, in the register's order."""
    parties = select(Movement.payee).where(Movement.day == day, Movement.kind == "goods_paid")
    givers = select(Movement.payer).where(Movement.day == day, Movement.kind == "goods_returned")
    named = {*session.scalars(parties).all(), *session.scalars(givers).all()}
    ids = [int(party.split(":", 1)[1]) for party in named if party.startswith("trader:")]
    if not ids:
        return []
    return session.scalars(
        select(Vendor)
        .options(selectinload(Vendor.market))
        .where(Vendor.id.in_(ids))
        .order_by(Vendor.market_id, Vendor.position, Vendor.id)
    ).all()


def handovers_on(session: Session, day: dt.date) -> list[tuple[Movement, str | None]]:
    """The hand-overs of a day, with who recorded each."""
    rows = session.execute(
        select(Movement, Staff.username)
        .outerjoin(Staff, Staff.id == Movement.recorded_by_id)
        .where(Movement.day == day, Movement.kind == "handover")
        .order_by(Movement.id)
    ).all()
    return [(movement, username) for movement, username in rows]


def corrected_ids(session: Session, movement_ids: Sequence[int]) -> set[int]:
    """Which of these movements a later movement corrects."""
    if not movement_ids:
        return set()
    return set(
        session.scalars(
            select(Movement.corrects_id).where(Movement.corrects_id.in_(movement_ids))
        ).all()
    )


def totals_by_kind(session: Session, day: dt.date) -> dict[str, int]:
    """Rupiah moved on a day by kind (a correction counts against its kind)."""
    rows = session.execute(
        select(Movement.kind, Movement.corrects_id.is_(None), func.sum(Movement.amount))
        .where(Movement.day == day)
        .group_by(Movement.kind, Movement.corrects_id.is_(None))
    ).all()
    totals: dict[str, int] = defaultdict(int)
    for kind, original, amount in rows:
        totals[kind] += int(amount) if original else -int(amount)
    return dict(totals)


def deliveries_on(session: Session, day: dt.date) -> int:
    """How many orders customers paid for at the door on a day."""
    return (
        session.scalar(
            select(func.count(func.distinct(Movement.order_id))).where(
                Movement.day == day,
                Movement.kind == "customer_goods",
                Movement.corrects_id.is_(None),
            )
        )
        or 0
    )


def segments_sent(session: Session, start: dt.datetime, end: dt.datetime) -> list[tuple[str, int]]:
    """SMS segments handed to each provider in [start, end) (`?`: sent before it was noted)."""
    rows = session.execute(
        select(OutboundMessage.provider, func.sum(OutboundMessage.segments))
        .where(OutboundMessage.sent_at >= start, OutboundMessage.sent_at < end)
        .group_by(OutboundMessage.provider)
    ).all()
    return sorted((provider or "?", int(segments or 0)) for provider, segments in rows)
