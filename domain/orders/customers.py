"""Customers: found by their number, created the first time they tell us something."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from domain.orders import queries
from storage.models import Customer


def customer_for(session: Session, phone: str, *, now: dt.datetime) -> Customer:
    """The customer with this E.164 number, created (at `now`) if there is none yet."""
    customer = queries.customer_by_phone(session, phone)
    if customer is None:
        customer = Customer(phone=phone, created_at=now)
        session.add(customer)
    return customer


def remember_language(session: Session, phone: str, language: str, *, now: dt.datetime) -> Customer:
    """Save the caller's language choice, creating the customer on their first call."""
    customer = customer_for(session, phone, now=now)
    if customer.language != language:
        customer.language = language
    return customer


def update_details(
    customer: Customer, *, name: str | None, address: str | None, language: str | None
) -> None:
    """What the call center corrected: an empty field clears it (a spoken address stays)."""
    customer.name = name or None
    customer.address = address or None
    customer.language = language or None
