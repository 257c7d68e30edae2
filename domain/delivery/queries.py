"""Reads of getting orders to the door: couriers, their offers and jobs, traders' phones, the
dispatch board.

Each takes the session first and never commits (the caller does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from storage.models import (
    ACTIVE_JOB_STATES,
    REOPENABLE_OFFER_STATES,
    SAID_NO_OFFER_STATES,
    Courier,
    Customer,
    DeliveryFailure,
    Item,
    Offer,
    Order,
    OutboundMessage,
    Vendor,
)


def items_by_id(session: Session, item_ids: Sequence[int]) -> dict[int, Item]:
    """The items with these ids (with their trader loaded), keyed by id."""
    rows = session.scalars(
        select(Item).options(selectinload(Item.vendor)).where(Item.id.in_(item_ids))
    )
    return {item.id: item for item in rows}


def languages_of(session: Session, phones: Sequence[str]) -> dict[str, str | None]:
    """The language each of these numbers chose (BAHASA), for those that are customers."""
    if not phones:
        return {}
    return dict(
        session.execute(
            select(Customer.phone, Customer.language).where(Customer.phone.in_(set(phones)))
        ).all()
    )


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


def orders_in_state(session: Session, state: str) -> int:
    """How many orders are in `state` now (`unassigned`: nobody took them, staff must)."""
    return session.scalar(select(func.count()).select_from(Order).where(Order.state == state))


def first_offered_at(session: Session, order_id: int) -> dt.datetime | None:
    """When the order was first offered to a courier (None: never)."""
    return session.scalar(select(func.min(Offer.created_at)).where(Offer.order_id == order_id))


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
        .on_conflict_do_nothing(index_elements=["order_id", "courier_id", "round"])
        .returning(Offer.order_id, Offer.courier_id)
    )
    # The rows as parameters, not as the statement's VALUES: one statement compiled once
    # (SQLAlchemy sends them in batches of many rows, with RETURNING), not a new one of
    # 500 rows each time.
    inserted = session.execute(statement, list(rows))
    return {(order_id, courier_id) for order_id, courier_id in inserted}


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


def vendors_by_id(session: Session, vendor_ids: Sequence[int]) -> dict[int, Vendor]:
    """The traders with these ids, keyed by id."""
    if not vendor_ids:
        return {}
    return {v.id: v for v in session.scalars(select(Vendor).where(Vendor.id.in_(vendor_ids)))}


def vendors_by_phone(session: Session, phone: str) -> Sequence[Vendor]:
    """The traders registered with this number (one person may keep two stalls)."""
    return session.scalars(
        select(Vendor).options(selectinload(Vendor.items)).where(Vendor.phone == phone)
    ).all()


BOARD_STATES = ("placed", "offered", "assigned", "picked_up", "unassigned")


def board_orders(session: Session, since: dt.datetime) -> Sequence[Order]:
    """Orders on their way placed since `since`, and every order left without a courier,
    failed at the door, or whose goods a courier has paid for (however old: staff act on
    it, or it is still on its way)."""
    return session.scalars(
        select(Order)
        .options(
            selectinload(Order.customer),
            selectinload(Order.courier),
            selectinload(Order.goods_with),
            selectinload(Order.market),
        )
        .where(
            or_(
                and_(Order.state.in_(BOARD_STATES), Order.placed_at >= since),
                Order.state.in_(("unassigned", "failed")),
                Order.goods_with_id.is_not(None),
            )
        )
        .order_by(Order.placed_at, Order.id)
    ).all()


def last_failures(session: Session, order_ids: Sequence[int]) -> dict[int, DeliveryFailure]:
    """The newest GAGAL of each of these orders, with its courier."""
    if not order_ids:
        return {}
    rows = session.scalars(
        select(DeliveryFailure)
        .options(selectinload(DeliveryFailure.courier))
        .where(DeliveryFailure.order_id.in_(order_ids))
        .order_by(DeliveryFailure.id)
    ).all()
    return {failure.order_id: failure for failure in rows}


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
