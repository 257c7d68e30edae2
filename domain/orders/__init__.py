"""Taking orders: a basket checked and priced, placed, cancelled.

Verbs: `quote`, `place_order`, `cancel_order` (service.py); the rules of an order (rules.py);
customers (customers.py); what can go wrong with an order (errors.py); the reads of taking
orders (queries.py). Placing an order offers it to couriers (`domain.delivery`) and writes its
SMS to the outbox (`domain.messaging`) in the same transaction.
"""

from domain.orders.errors import (
    BadQuantity,
    EmptyOrder,
    ItemUnavailable,
    MixedMarkets,
    OrderError,
    OrderTooLarge,
    PriceChanged,
)
from domain.orders.rules import OrderRules
from domain.orders.service import (
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
