"""The domain: baskets become orders, prices and fees, notifications (as outbox rows).

`orders` is the only writer of orders and outbox rows; every channel calls its verbs.
"""

from orders.errors import (
    EmptyOrder,
    InvalidPhone,
    ItemUnavailable,
    MixedMarkets,
    OrderError,
    OrderTooLarge,
)
from orders.service import OrderLineRequest, PlacedOrder, place_order

__all__ = [
    "EmptyOrder",
    "InvalidPhone",
    "ItemUnavailable",
    "MixedMarkets",
    "OrderError",
    "OrderLineRequest",
    "OrderTooLarge",
    "PlacedOrder",
    "place_order",
]
