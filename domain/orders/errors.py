"""Domain errors: the edge turns each into an apology that is still a valid response."""

from __future__ import annotations

from collections.abc import Sequence


class OrderError(Exception):
    """An order that cannot be placed as asked."""


class EmptyOrder(OrderError):
    """No lines, a quantity below one, or no name or address to deliver to."""


class BadQuantity(EmptyOrder):
    """A quantity below one, or above what one order may hold of an item."""

    def __init__(self, item_id: int, quantity: int, maximum: int) -> None:
        super().__init__(f"quantity {quantity} for item {item_id} (1 to {maximum})")
        self.item_id = item_id
        self.quantity = quantity
        self.maximum = maximum


class ItemUnavailable(OrderError):
    """Items sold out (or removed) between choosing and confirming."""

    def __init__(self, item_ids: Sequence[int], names: Sequence[str]) -> None:
        super().__init__(f"unavailable: {', '.join(names)}")
        self.item_ids = tuple(item_ids)
        self.names = tuple(names)


class OrderTooLarge(OrderError):
    """The goods total is over the cap that couriers can pay out of pocket."""

    def __init__(self, goods_total: int, cap: int) -> None:
        super().__init__(f"goods total {goods_total} is over the cap {cap}")
        self.goods_total = goods_total
        self.cap = cap


class PriceChanged(OrderError):
    """Prices or the delivery fee changed since the customer's quote: nothing was ordered.

    `item_ids` are the items whose unit price is not the one quoted; `delivery_fee` is the
    fee now when it is not the one quoted (None when it is).
    """

    def __init__(self, item_ids: Sequence[int], delivery_fee: int | None) -> None:
        super().__init__(f"prices changed since the quote: items {list(item_ids)}")
        self.item_ids = tuple(item_ids)
        self.delivery_fee = delivery_fee


class MixedMarkets(OrderError):
    """Lines from more than one market: one order is one courier trip to one market."""
