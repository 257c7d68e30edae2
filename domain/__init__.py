"""The domain: the only writer of orders, offers and outbox rows. Four parts, each a package:

- `orders`: taking orders (quote, place, cancel, the rules of an order, customers);
- `delivery`: getting them to the door (offers to couriers, pick-up and delivery, traders told
  what to prepare, the dispatch board's reads);
- `messaging`: talking to phones (the outbox, the inbox, claims, the missed-call number's call
  backs);
- `office`: running the office (console accounts, the register and its CSV, the figures).

They import each other in one direction, `office -> orders -> delivery -> messaging` (an
import-linter contract in pyproject.toml). What they all use sits here beside them and imports
none of them: phone numbers (`phones.py`) and market hours (`hours.py`).
"""
