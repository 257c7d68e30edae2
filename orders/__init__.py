"""The domain: baskets become orders, prices and fees, notifications (as outbox rows).

`orders` is the only writer of orders and outbox rows; every channel calls its verbs.
"""

from orders.errors import (
    BadQuantity,
    EmptyOrder,
    InvalidPhone,
    ItemUnavailable,
    MixedMarkets,
    OrderError,
    OrderTooLarge,
)
from orders.rules import OrderRules
from orders.service import OrderLineRequest, PlacedOrder, place_order

__all__ = [
    "BadQuantity",
    "EmptyOrder",
    "InvalidPhone",
    "ItemUnavailable",
    "MixedMarkets",
    "OrderError",
    "OrderLineRequest",
    "OrderRules",
    "OrderTooLarge",
    "PlacedOrder",
    "place_order",
]
