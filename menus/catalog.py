"""What the menus need to know about markets, traders, items and the caller.

Plain read-only values handed in by the caller of the engine; the menus never query a
database themselves (see `conversations.catalog_loader` for the storage-backed one).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from settings import DEFAULT_TIMEZONE
from voice_prompts import Digits, Money, Text


@dataclass(frozen=True)
class MarketInfo:
    id: int
    code: str
    name: str
    delivery_fee: int
    reopens_at: dt.datetime | None = None  # None while the market is open
    timezone: str = DEFAULT_TIMEZONE


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
class OpenOrder:
    """The caller's order on its way: told first on a returning call or dial."""

    number: str
    state: str  # placed, offered, assigned, picked_up
    courier: str | None = None
    total: int = 0  # goods and fee, as the customer pays it


def still_on_its_way(number: str, total: int) -> Text:
    """Said before another order while one is on its way, on every channel:
    "Pesanan 4440 Anda (Rp38.000) masih diproses. Pesan lagi?"."""
    return Text.of("again.title", number=Digits(number), total=Money(total))


@dataclass(frozen=True)
class Caller:
    """What we know of the person on the other end: nothing, or their saved details."""

    phone: str
    language: str | None = None
    name: str | None = None
    address: str | None = None
    address_recording_url: str | None = None
    last_order: LastOrder | None = None
    open_order: OpenOrder | None = None

    @property
    def has_address(self) -> bool:
        """True when a courier can find this caller: a written or a spoken address."""
        return bool(self.address or self.address_recording_url)


class InMemoryCatalog:
    """A catalog held in memory and indexed: for tests, and for a catalog loaded in one query."""

    def __init__(
        self,
        market_list: Sequence[MarketInfo],
        vendor_list: Sequence[VendorInfo],
        item_list: Sequence[ItemInfo] = (),
    ) -> None:
        self.market_list = tuple(market_list)
        self.vendor_list = tuple(vendor_list)
        self.item_list = tuple(item_list)
        self._markets = {m.id: m for m in self.market_list}
        self._vendors = {v.id: v for v in self.vendor_list}
        self._items = {i.id: i for i in self.item_list}
        self._vendors_of: dict[int, list[VendorInfo]] = {}
        for vendor in self.vendor_list:
            self._vendors_of.setdefault(vendor.market_id, []).append(vendor)
        self._items_of: dict[int, list[ItemInfo]] = {}
        for item in self.item_list:
            if item.available:
                self._items_of.setdefault(item.vendor_id, []).append(item)
        # Where a list's pages end, worked out once per list, language, channel and page
        # (menus.step_kinds.ListStep.page_key): this catalog never changes, so neither do they.
        self.page_ends: dict[tuple[Any, ...], int] = {}

    def markets(self) -> Sequence[MarketInfo]:
        return self.market_list

    def market(self, market_id: int) -> MarketInfo | None:
        return self._markets.get(market_id)

    def vendors(self, market_id: int) -> Sequence[VendorInfo]:
        return tuple(self._vendors_of.get(market_id, ()))

    def vendor(self, vendor_id: int) -> VendorInfo | None:
        return self._vendors.get(vendor_id)

    def items(self, vendor_id: int) -> Sequence[ItemInfo]:
        return tuple(self._items_of.get(vendor_id, ()))

    def item(self, item_id: int) -> ItemInfo | None:
        return self._items.get(item_id)

    def with_markets(self, market_list: Sequence[MarketInfo]) -> InMemoryCatalog:
        """The same traders and items (and their indexes, not copied) with these markets."""
        changed = copy.copy(self)
        changed.market_list = tuple(market_list)
        changed._markets = {m.id: m for m in changed.market_list}
        changed.page_ends = {}
        return changed

    def replace_item(self, item: ItemInfo) -> InMemoryCatalog:
        """A copy with one item changed (sold out, new price)."""
        items = tuple(item if i.id == item.id else i for i in self.item_list)
        return InMemoryCatalog(self.market_list, self.vendor_list, items)
