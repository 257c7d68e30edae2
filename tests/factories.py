"""Small in-memory catalogs and callers for tests of the menus (no database)."""

from __future__ import annotations

import datetime as dt

from domain.orders.rules import OrderRules
from menus.catalog import Caller, InMemoryCatalog, ItemInfo, LastOrder, MarketInfo, VendorInfo
from menus.engine import Context
from menus.screen import USSD, ChannelProfile

PHONE = "+6281234567890"


def make_catalog(*, vendors_per_market: int = 2, reopens_at: dt.datetime | None = None):
    """Two markets; each trader sells tomatoes (kg), kangkung (ikat) and eggs (butir)."""
    markets = [
        MarketInfo(1, "AB", "Pasar Amlapura Barat", 10_000, reopens_at),
        MarketInfo(2, "AT", "Pasar Amlapura Timur", 10_000, reopens_at),
    ]
    vendors, items = [], []
    for market in markets:
        for n in range(1, vendors_per_market + 1):
            vendor_id = market.id * 100 + n
            vendors.append(
                VendorInfo(vendor_id, market.id, f"{market.code}{n}", f"Bu Komang {n}", "sayur")
            )
            for k, (name, name_en, unit, price) in enumerate(
                [
                    ("Tomat", "Tomatoes", "kg", 14_000),
                    ("Kangkung", "Water spinach", "ikat", 3_000),
                    ("Telur ayam", "Eggs", "butir", 2_200),
                ],
                start=1,
            ):
                items.append(
                    ItemInfo(
                        id=vendor_id * 10 + k,
                        vendor_id=vendor_id,
                        market_id=market.id,
                        code=f"{market.code[1]}{vendor_id % 100}{k}",
                        name=name,
                        name_en=name_en,
                        unit=unit,
                        price=price,
                    )
                )
    return InMemoryCatalog(tuple(markets), tuple(vendors), tuple(items))


def make_context(
    *,
    catalog: InMemoryCatalog | None = None,
    language: str | None = "id",
    name: str | None = None,
    address: str | None = None,
    last_order: LastOrder | None = None,
    profile: ChannelProfile = USSD,
    goods_cap: int = 300_000,
) -> Context:
    caller = Caller(PHONE, language=language, name=name, address=address, last_order=last_order)
    return Context(
        catalog=catalog or make_catalog(),
        caller=caller,
        profile=profile,
        rules=OrderRules(goods_cap=goods_cap),
    )
