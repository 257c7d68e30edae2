"""What the menus need to know about markets, traders, items and the caller.

Plain read-only values handed in by the caller of the engine; the menus never query a
database themselves (see `orders.catalog` for the storage-backed implementation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class MarketInfo:
    id: int
    code: str
    name: str
    delivery_fee: int
    reopens_at: dt.datetime | None = None  # None while the market is open


@dataclass(frozen=True)
class VendorInfo:
    id: int
    market_id: int
    code: str
    name: str
    category: str


@dataclass(frozen=True)
class ItemInfo:
    id: int
    vendor_id: int
    market_id: int
    code: str
    name: str
    name_en: str
    unit: str
    price: int
    available: bool = True

    def label(self, lang: str) -> str:
        """The item's name in `lang` (English has its own names; Balinese uses Indonesian)."""
        return self.name_en if lang == "en" and self.name_en else self.name


class Catalog(Protocol):
    """Read access to the catalog, ordered as callers should see it."""

    def markets(self) -> Sequence[MarketInfo]: ...

    def market(self, market_id: int) -> MarketInfo | None: ...

    def vendors(self, market_id: int) -> Sequence[VendorInfo]: ...

    def vendor(self, vendor_id: int) -> VendorInfo | None: ...

    def items(self, vendor_id: int) -> Sequence[ItemInfo]:
        """The available items of a trader."""
        ...

    def item(self, item_id: int) -> ItemInfo | None: ...


@dataclass(frozen=True)
class LastOrder:
    """What the caller ordered last time, so it can be repeated in one key press."""

    market_id: int
    lines: tuple[tuple[int, int], ...]  # (item id, quantity)
    total: int


@dataclass(frozen=True)
class Caller:
    """What we know of the person on the other end: nothing, or their saved details."""

    phone: str
    language: str | None = None
    name: str | None = None
    address: str | None = None
    last_order: LastOrder | None = None


@dataclass(frozen=True)
class InMemoryCatalog:
    """A catalog held in lists: for tests and for tools that already loaded everything."""

    market_list: Sequence[MarketInfo]
    vendor_list: Sequence[VendorInfo]
    item_list: Sequence[ItemInfo] = field(default_factory=tuple)

    def markets(self) -> Sequence[MarketInfo]:
        return tuple(self.market_list)

    def market(self, market_id: int) -> MarketInfo | None:
        return next((m for m in self.market_list if m.id == market_id), None)

    def vendors(self, market_id: int) -> Sequence[VendorInfo]:
        return tuple(v for v in self.vendor_list if v.market_id == market_id)

    def vendor(self, vendor_id: int) -> VendorInfo | None:
        return next((v for v in self.vendor_list if v.id == vendor_id), None)

    def items(self, vendor_id: int) -> Sequence[ItemInfo]:
        return tuple(i for i in self.item_list if i.vendor_id == vendor_id and i.available)

    def item(self, item_id: int) -> ItemInfo | None:
        return next((i for i in self.item_list if i.id == item_id), None)
