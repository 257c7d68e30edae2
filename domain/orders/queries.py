"""Reads of taking orders: the catalog as customers order from it, customers and their orders.

Each takes the session first and never commits (the caller does).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storage.models import (
    NUMBER_HELD_STATES,
    OPEN_ORDER_STATES,
    CatalogVersion,
    Customer,
    Item,
    Market,
    Order,
    Vendor,
)

# Read on every hop: built once (SQLAlchemy caches its SQL; building the statement is what
# would cost).
CATALOG_VERSION = select(CatalogVersion.__table__.c.version).where(
    CatalogVersion.__table__.c.id == 1
)


def catalog_version(session: Session) -> int:
    """The number that changes whenever a market, trader or item does (one-row table)."""
    return session.scalar(CATALOG_VERSION) or 0


def all_markets(session: Session) -> Sequence[Market]:
    """Every market with its traders and their items, in display order."""
    return session.scalars(
        select(Market)
        .options(selectinload(Market.vendors).selectinload(Vendor.items))
        .order_by(Market.position, Market.id)
    ).all()


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


def open_order_of(session: Session, customer_id: int) -> Order | None:
    """The customer's newest order still on its way, with its courier."""
    return session.scalar(
        select(Order)
        .options(selectinload(Order.courier))
        .where(Order.customer_id == customer_id, Order.state.in_(OPEN_ORDER_STATES))
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(1)
    )


def open_order_numbers(session: Session) -> set[str]:
    """Order numbers held: by orders not finished, or that staff can still reopen."""
    return set(session.scalars(select(Order.number).where(Order.state.in_(NUMBER_HELD_STATES))))


def customer_order(session: Session, customer_id: int, number: str | None) -> Order | None:
    """The customer's order with this number (the newest such), or their newest order."""
    query = select(Order).where(Order.customer_id == customer_id)
    if number is not None:
        query = query.where(Order.number == number)
    return session.scalar(query.order_by(Order.placed_at.desc(), Order.id.desc()).limit(1))


def item_by_code(session: Session, code: str) -> Item | None:
    """The item with this code."""
    return session.scalar(select(Item).where(Item.code == code))


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
