"""Reads of running the office: staff accounts, the register of couriers and traders, the
catalog's names.

Each takes the session first and never commits (the caller does).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from domain.orders import queries as order_queries
from storage.models import (
    Courier,
    Customer,
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
