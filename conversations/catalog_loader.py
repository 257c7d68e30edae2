"""Reads the catalog and the caller from storage into the plain values the menus use.

The catalog is kept in memory in each process and read again only when it changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from domain.hours import next_opening
from domain.orders import queries as order_queries
from menus.catalog import (
    Caller,
    InMemoryCatalog,
    ItemInfo,
    LastOrder,
    MarketInfo,
    OpenOrder,
    VendorInfo,
)


@dataclass(frozen=True)
class _Loaded:
    """One database's catalog as read at `version`: markets without their hours applied."""

    version: int
    catalog: InMemoryCatalog
    hours: dict[int, tuple[dt.time, dt.time, str]]  # market id -> opens, closes, timezone


# Per process, per database engine: read again only when the catalog version moved.
_loaded: dict[object, _Loaded] = {}
MAX_DATABASES = 8  # tests open many databases in one process; production one


def load_catalog(session: Session, now: dt.datetime) -> InMemoryCatalog:
    """The whole catalog as it is at `now` (markets say when they reopen if they are closed).

    Read from the database only when its catalog version (bumped by triggers in the same
    transaction as any change to a market, trader or item) differs from the one this
    process holds; otherwise one one-row query, whatever the size of the catalog.
    """
    bind = session.get_bind()
    # One catalog a database: the readers' engine and the writers' (the same engine with
    # options) share one pool.
    key = getattr(getattr(bind, "engine", bind), "pool", bind)
    version = order_queries.catalog_version(session)
    loaded = _loaded.get(key)
    if loaded is None or loaded.version != version:
        loaded = _read(session, version)
        if len(_loaded) >= MAX_DATABASES:
            _loaded.pop(next(iter(_loaded)))
        _loaded[key] = loaded
    markets = [
        replace(market, reopens_at=next_opening(*loaded.hours[market.id], now))
        for market in loaded.catalog.market_list
    ]
    return loaded.catalog.with_markets(markets)


def _read(session: Session, version: int) -> _Loaded:
    markets, vendors, items, hours = [], [], [], {}
    for market in order_queries.all_markets(session):
        hours[market.id] = (market.opens_at, market.closes_at, market.timezone)
        markets.append(
            MarketInfo(
                market.id,
                market.code,
                market.name,
                market.delivery_fee,
                timezone=market.timezone,
            )
        )
        for vendor in market.vendors:
            vendors.append(
                VendorInfo(vendor.id, market.id, vendor.code, vendor.name, vendor.category)
            )
            items.extend(
                ItemInfo(
                    id=item.id,
                    vendor_id=vendor.id,
                    market_id=market.id,
                    code=item.code,
                    name=item.name,
                    name_en=item.name_en,
                    unit=item.unit,
                    price=item.price,
                    available=item.available,
                )
                for item in vendor.items
            )
    return _Loaded(version, InMemoryCatalog(markets, vendors, items), hours)


def load_caller(session: Session, phone: str, *, open_order: bool = False) -> Caller:
    """What we know of the person with this number (nothing for a first call).

    Their order on its way is read only with `open_order`: at a session's start (the first
    screen tells it) and on the screens that ask about it before another order; other hops
    do not pay for the query.
    """
    customer = order_queries.customer_by_phone(session, phone)
    if customer is None:
        return Caller(phone=phone)
    order = order_queries.last_order(session, customer.id)
    last = None
    if order is not None:
        lines = tuple((line.item_id, line.quantity) for line in order.lines)
        last = LastOrder(market_id=order.market_id, lines=lines, total=order.total)
    on_its_way = None
    if open_order and (current := order_queries.open_order_of(session, customer.id)) is not None:
        courier = current.courier.name if current.courier else None
        on_its_way = OpenOrder(current.number, current.state, courier, current.total)
    return Caller(
        phone=phone,
        open_order=on_its_way,
        language=customer.language,
        name=customer.name,
        address=customer.address,
        address_recording_url=customer.address_recording_url,
        last_order=last,
    )
