"""Reads the catalog and the caller from storage into the plain values the menus use.

The catalog is kept in memory in each process and read again only when it changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import bindparam, select
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
from storage.database import HopReads
from storage.driver import Prepared
from storage.models import Customer


@dataclass
class _Loaded:
    """One database's catalog as read at `version`: markets without their hours applied,
    and the catalog as it was in the last minute asked for (hours applied)."""

    version: int
    catalog: InMemoryCatalog
    hours: dict[int, tuple[dt.time, dt.time, str]]  # market id -> opens, closes, timezone
    last: tuple[dt.datetime, InMemoryCatalog] | None = None  # a minute, its catalog

    def at(self, now: dt.datetime) -> InMemoryCatalog:
        """The catalog at `now`: markets say when they reopen if they are closed. Markets
        open and close on whole minutes (`next_opening`), so one minute's answer is kept."""
        minute = now.replace(second=0, microsecond=0)
        last = self.last  # one read: threads may replace it meanwhile
        if last is None or last[0] != minute:
            markets = [
                replace(market, reopens_at=next_opening(*self.hours[market.id], now))
                for market in self.catalog.market_list
            ]
            last = self.last = (minute, self.catalog.with_markets(markets))
        return last[1]


# Per process, per database (its connection pool): read again only when the version moved.
_loaded: dict[object, _Loaded] = {}
MAX_DATABASES = 8  # tests open many databases in one process; production one


def load_catalog(session: Session, now: dt.datetime) -> InMemoryCatalog:
    """The whole catalog as it is at `now` (markets say when they reopen if they are closed).

    Read from the database only when its catalog version (bumped by triggers in the same
    transaction as any change to a market, trader or item) differs from the one this
    process holds; otherwise one one-row query, whatever the size of the catalog.
    """
    return hop_catalog(HopReads.of(session), order_queries.catalog_version(session), now)


def hop_catalog(reads: HopReads, version: int, now: dt.datetime) -> InMemoryCatalog:
    """The same for a hop that read the catalog's `version` already (`queries.hop_row`):
    no query at all unless the catalog changed."""
    key = reads.catalog_key
    loaded = _loaded.get(key)
    if loaded is None or loaded.version != version:
        loaded = _read(reads.session, version)
        if len(_loaded) >= MAX_DATABASES:
            _loaded.pop(next(iter(_loaded)))
        _loaded[key] = loaded
    return loaded.at(now)


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


_CUSTOMERS = Customer.__table__
# What a hop needs of a customer, prepared once (on every first dial, and on the screens
# that ask about the order on its way).
CALLER_ROW = Prepared(
    select(
        _CUSTOMERS.c.id,
        _CUSTOMERS.c.language,
        _CUSTOMERS.c.name,
        _CUSTOMERS.c.address,
        _CUSTOMERS.c.address_recording_url,
    ).where(_CUSTOMERS.c.phone == bindparam("phone"))
)


def load_caller(reads: HopReads, phone: str, *, open_order: bool = False) -> Caller:
    """What we know of the person with this number (nothing for a first call).

    Their order on its way is read only with `open_order`: at a session's start (the first
    screen tells it) and on the screens that ask about it before another order; other hops
    do not pay for the query.
    """
    row = reads.first(CALLER_ROW, phone=phone)
    if row is None:
        return Caller(phone=phone)
    customer_id, language, name, address, address_recording_url = row
    session = reads.session
    order = order_queries.last_order(session, customer_id)
    last = None
    if order is not None:
        lines = tuple((line.item_id, line.quantity) for line in order.lines)
        last = LastOrder(market_id=order.market_id, lines=lines, total=order.total)
    on_its_way = None
    if open_order and (current := order_queries.open_order_of(session, customer_id)) is not None:
        courier = current.courier.name if current.courier else None
        on_its_way = OpenOrder(current.number, current.state, courier, current.total)
    return Caller(
        phone=phone,
        open_order=on_its_way,
        language=language,
        name=name,
        address=address,
        address_recording_url=address_recording_url,
        last_order=last,
    )
