"""The simulator's one door into the house, read-only: what it shows that no phone could know.

A simulated phone writes only through the public webhooks, as a provider would. What the
simulator reads besides their answers comes through here and nowhere else (an import-linter
contract in pyproject.toml keeps it so): who a phone can be (the couriers, the traders with
phones, recent customers), the SMS a number was sent, a call back ringing at it, and how
Telepasar writes phone numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# What a read raises when the database cannot answer.
from sqlalchemy.exc import SQLAlchemyError as ReadFailed

from domain.messaging import queries as messaging_queries
from domain.office import queries as office_queries
from domain.phones import InvalidPhone, friendly_phone, normalize_phone
from storage.database import Database

# Telkomsel's test number of the README and the demo: a customer nobody registered yet.
DEMO_CUSTOMER = "+6281234567890"
ROLES = ("customer", "courier", "trader")

__all__ = [
    "DEMO_CUSTOMER",
    "CallBack",
    "Database",
    "InvalidPhone",
    "Person",
    "ReadFailed",
    "Received",
    "friendly_phone",
    "normalize_phone",
    "phone_book",
    "received",
    "ringing",
    "thread",
]


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
            Person("courier", c.name, c.phone, c.market.code)
            for c in office_queries.all_couriers(session)
        ]
        people += [
            Person("trader", v.name, v.phone or "", v.code)
            for v in office_queries.traders_with_phones(session)
        ]
        people += [
            Person("customer", c.name or "", c.phone)
            for c in office_queries.recent_customers(session, limit=customers + len(people))
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


@dataclass(frozen=True)
class CallBack:
    """Telepasar calling this phone back (a row of `outbound_calls` ringing)."""

    id: int
    provider: str
    provider_call_id: str


def ringing(database: Database, phone: str) -> CallBack | None:
    """The call back ringing at `phone` now, if any."""
    with database.readers() as session:
        call = messaging_queries.ringing_call_back(session, phone)
        return CallBack(call.id, call.provider, call.provider_call_id or "") if call else None


@dataclass(frozen=True)
class Received:
    """An SMS the service sent to the number, and how far it got."""

    at: dt.datetime
    text: str
    state: str  # the outbox's: queued, sending, sent, delivered, failed, dead


def received(database: Database, phone: str) -> list[Received]:
    """Every SMS the outbox holds for `phone`, oldest first (sent or still waiting)."""
    with database.readers() as session:
        messages = messaging_queries.sms_thread(session, phone)
    return [Received(at, text, state) for at, way, text, state in messages if way == "out"]


def thread(
    database: Database, phone: str, *, limit: int
) -> list[tuple[dt.datetime, str, str, str]]:
    """The number's last `limit` SMS both ways, oldest first: (when, "in" or "out", text,
    state)."""
    with database.readers() as session:
        return list(messaging_queries.sms_thread(session, phone, limit=limit))
