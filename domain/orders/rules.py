"""The rules of one order, defined once: the menus of every channel and `place_order` use them.

An order comes from one market, holds only items that are on sale, each 1 to
`max_quantity` units (lines of one item are merged first), and its goods total stays within
`goods_cap`: couriers pay the traders out of their own pocket (docs/RULES.md).

The menus cannot import the domain; the conversation layer hands them an `OrderRules` in their
context, and they ask it (`menus.context.BasketRules` is the part they see).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from domain.delivery.policy import DispatchPolicy
from domain.orders.errors import (
    BadQuantity,
    EmptyOrder,
    ItemUnavailable,
    MixedMarkets,
    OrderTooLarge,
)
from settings import Settings

MAX_QUANTITY = 50


@dataclass(frozen=True)
class Goods:
    """What the rules need to know of one item."""

    market_id: int
    price: int
    available: bool
    name: str = ""


MIN_ITEM_PRICE = 100  # rupiah: nothing in a market costs less


@dataclass(frozen=True)
class OrderRules:
    """The limits of an order in this deployment, and what happens when nobody delivers it."""

    goods_cap: int = 300_000
    max_quantity: int = MAX_QUANTITY
    dispatch: DispatchPolicy = field(default_factory=DispatchPolicy)

    @classmethod
    def from_settings(cls, settings: Settings) -> OrderRules:
        """The rules as ORDER_GOODS_CAP, COURIER_OFFER_SECONDS and CALL_CENTER_NUMBER set them."""
        return cls(
            goods_cap=settings.order_goods_cap, dispatch=DispatchPolicy.from_settings(settings)
        )

    @staticmethod
    def merge(lines: Iterable[tuple[int, int]]) -> dict[int, int]:
        """Quantities per item id, lines of one item added up, in first-seen order."""
        merged: dict[int, int] = {}
        for item_id, quantity in lines:
            merged[item_id] = merged.get(item_id, 0) + quantity
        return merged

    def price_ok(self, price: int) -> bool:
        """Whether an item may cost `price`: from MIN_ITEM_PRICE up to the goods cap (an item
        dearer than a whole order may be could never be ordered). The one rule for SMS
        (HARGA), the register's CSV and the console."""
        return MIN_ITEM_PRICE <= price <= self.goods_cap

    def quantity_ok(self, quantity: int) -> bool:
        """Whether one item's (merged) quantity may be ordered."""
        return 1 <= quantity <= self.max_quantity

    @staticmethod
    def available(goods: Goods | None) -> bool:
        """Whether an item can be ordered: it exists and is on sale."""
        return goods is not None and goods.available

    @staticmethod
    def one_market(market_ids: Iterable[int]) -> bool:
        """Whether these items come from one market (one courier trip)."""
        return len(set(market_ids)) <= 1

    def within_cap(self, goods_total: int) -> bool:
        """Whether a courier can pay this goods total out of pocket."""
        return goods_total <= self.goods_cap

    def check(self, quantities: Mapping[int, int], goods: Mapping[int, Goods]) -> int:
        """Every rule, in the order a customer is told of them; returns the goods total.

        Raises EmptyOrder (no lines), BadQuantity, ItemUnavailable, MixedMarkets or
        OrderTooLarge, naming what broke the rule.
        """
        if not quantities:
            raise EmptyOrder("an order needs lines")
        for item_id, quantity in quantities.items():
            if not self.quantity_ok(quantity):
                raise BadQuantity(item_id, quantity, self.max_quantity)
        gone = [item_id for item_id in quantities if not self.available(goods.get(item_id))]
        if gone:
            names = [goods[i].name if i in goods else f"#{i}" for i in gone]
            raise ItemUnavailable(gone, names)
        if not self.one_market(goods[item_id].market_id for item_id in quantities):
            raise MixedMarkets("one order comes from one market")
        goods_total = sum(goods[item_id].price * q for item_id, q in quantities.items())
        if not self.within_cap(goods_total):
            raise OrderTooLarge(goods_total, self.goods_cap)
        return goods_total
