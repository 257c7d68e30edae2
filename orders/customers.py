"""Customer details that callers tell us outside an order (their language)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from storage import queries
from storage.models import Customer


def remember_language(session: Session, phone: str, language: str, *, now: dt.datetime) -> Customer:
    """Save the caller's language choice, creating the customer on their first call."""
    customer = queries.customer_by_phone(session, phone)
    if customer is None:
        customer = Customer(phone=phone, created_at=now)
        session.add(customer)
    customer.language = language
    return customer
