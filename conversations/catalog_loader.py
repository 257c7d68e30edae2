"""Reads the catalog and the caller from storage into the plain values the menus use."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from menus.catalog import (
    Caller,
    InMemoryCatalog,
    ItemInfo,
    LastOrder,
    MarketInfo,
    OpenOrder,
    VendorInfo,
)
from orders.hours import next_opening
from storage import queries


def load_catalog(session: Session, now: dt.datetime) -> InMemoryCatalog:
    """The whole catalog as it is at `now` (markets say when they reopen if they are closed)."""
    markets, vendors, items = [], [], []
    for market in queries.all_markets(session):
        reopens_at = next_opening(market.opens_at, market.closes_at, market.timezone, now)
        markets.append(
            MarketInfo(market.id, market.code, market.name, market.delivery_fee, reopens_at)
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
    return InMemoryCatalog(tuple(markets), tuple(vendors), tuple(items))


def load_caller(session: Session, phone: str, *, starting: bool = False) -> Caller:
    """What we know of the person with this number (nothing for a first call).

    Their order on its way is read only when a session is `starting`: the first screen is
    the only one that tells it, so later hops do not pay for the query.
    """
    customer = queries.customer_by_phone(session, phone)
    if customer is None:
        return Caller(phone=phone)
    order = queries.last_order(session, customer.id)
    last = None
    if order is not None:
        lines = tuple((line.item_id, line.quantity) for line in order.lines)
        last = LastOrder(market_id=order.market_id, lines=lines, total=order.total)
    on_its_way = queries.open_order_of(session, customer.id) if starting else None
    open_order = None
    if on_its_way is not None:
        courier = on_its_way.courier.name if on_its_way.courier else None
        open_order = OpenOrder(on_its_way.number, on_its_way.state, courier)
    return Caller(
        phone=phone,
        open_order=open_order,
        language=customer.language,
        name=customer.name,
        address=customer.address,
        address_recording_url=customer.address_recording_url,
        last_order=last,
    )
