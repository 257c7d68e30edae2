"""Who a simulated phone can be: the couriers, the traders with phones, recent customers."""

from __future__ import annotations

from dataclasses import dataclass

from storage import queries
from storage.database import Database

# Telkomsel's test number of the README and the demo: a customer nobody registered yet.
DEMO_CUSTOMER = "+6281234567890"
ROLES = ("customer", "courier", "trader")


@dataclass(frozen=True)
class Person:
    """A number to be, with what Telepasar knows of it."""

    role: str  # one of ROLES
    name: str
    phone: str  # E.164
    detail: str = ""  # a courier's market code, a trader's code


def phone_book(database: Database, *, customers: int = 5) -> list[Person]:
    """Couriers, then traders, then recent customers; one entry per number."""
    with database.readers() as session:
        people = [
            Person("courier", c.name, c.phone, c.market.code) for c in queries.all_couriers(session)
        ]
        people += [
            Person("trader", v.name, v.phone or "", v.code)
            for v in queries.traders_with_phones(session)
        ]
        people += [
            Person("customer", c.name or "", c.phone)
            for c in queries.recent_customers(session, limit=customers + len(people))
        ]
    seen: set[str] = set()
    book = []
    for person in people:
        if person.phone not in seen:
            seen.add(person.phone)
            book.append(person)
    if DEMO_CUSTOMER not in seen:
        book.append(Person("customer", "", DEMO_CUSTOMER))
    by_role = [p for p in book if p.role != "customer"]
    return by_role + [p for p in book if p.role == "customer"][:customers]
