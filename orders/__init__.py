"""The domain: baskets become orders, prices and fees, notifications (as outbox rows).

Verbs: `quote`, `place_order`, `cancel_order` (service.py); the rules of an order (rules.py); the
outbox (outbox.py) and the inbox (inbox.py); customers, hours, phone numbers.

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
    PriceChanged,
)
from orders.rules import OrderRules
from orders.service import (
    AgreedPrices,
    OrderLineRequest,
    PlacedOrder,
    Quote,
    cancel_order,
    place_order,
    quote,
)

__all__ = [
    "AgreedPrices",
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
    "PriceChanged",
    "Quote",
    "cancel_order",
    "place_order",
    "quote",
]
