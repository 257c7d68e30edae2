"""The register of couriers and traders' phones (the CLI now, the console later)."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.delivery import queries as delivery_queries
from domain.phones import friendly_phone, in_region, normalize_phone
from storage.models import Courier, Market, Vendor
from voice_prompts import LANGUAGES


class RegisterError(ValueError):
    """What was asked cannot be registered; the message says why, for the person typing."""


def register_courier(
    session: Session,
    *,
    phone: str,
    name: str,
    market: str,
    language: str = "id",
    region: str = "ID",
    now: dt.datetime,
) -> Courier:
    """Register a courier (not yet available: they send SIAP when they start work)."""
    e164 = _local_phone(phone, region)
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise RegisterError("a courier needs a name (at most 80 characters)")
    if language not in LANGUAGES:
        raise RegisterError(f"language {language!r}: choose one of {', '.join(LANGUAGES)}")
    home = find_market(session, market)
    existing = delivery_queries.courier_by_phone(session, e164)
    if existing is not None:
        raise RegisterError(
            f"{friendly_phone(e164)} is registered already, as {existing.name} "
            f"({existing.market.name})"
        )
    courier = Courier(
        phone=e164,
        name=name,
        market_id=home.id,
        language=language,
        available=False,
        created_at=now,
        updated_at=now,
    )
    session.add(courier)
    session.flush()
    return courier


def set_trader_phone(session: Session, *, trader: str, phone: str, region: str = "ID") -> Vendor:
    """Give a trader (by stall code) the number they text from."""
    vendor = session.scalar(select(Vendor).where(func.upper(Vendor.code) == trader.strip().upper()))
    if vendor is None:
        raise RegisterError(f"no trader with the code {trader!r}")
    vendor.phone = _local_phone(phone, region)
    return vendor


def _local_phone(phone: str, region: str) -> str:
    """The number in E.164, if it belongs to PHONE_REGION: we text no number beyond it."""
    e164 = normalize_phone(phone, region)
    if not in_region(e164, region):
        raise RegisterError(
            f"{phone.strip()[:40]} is not a number of {region} (PHONE_REGION): Telepasar texts "
            "no number outside it"
        )
    return e164


def phone_also_used(
    session: Session, e164: str, *, courier_id: int | None = None, vendor_id: int | None = None
) -> list[str]:
    """Who else texts from this number (one person may be a courier and a trader: said, not
    refused), leaving out the courier or trader it was just given to."""
    notes = []
    courier = delivery_queries.courier_by_phone(session, e164)
    if courier is not None and courier.id != courier_id:
        notes.append(f"courier {courier.name} ({courier.market.code})")
    for vendor in delivery_queries.vendors_by_phone(session, e164):
        if vendor.id != vendor_id:
            notes.append(f"trader {vendor.name} ({vendor.code})")
    return notes


def set_market_hours(
    session: Session, *, market: str, opens_at: dt.time, closes_at: dt.time
) -> list[Market]:
    """A market's hours (`all`: every market's), local time; the same opening and closing
    time keeps it open around the clock (`make run`'s demo at any hour)."""
    if opens_at > closes_at:
        raise RegisterError("a market opens before it closes (or at the same time: all day)")
    chosen = (
        list(session.scalars(select(Market).order_by(Market.position)))
        if market.strip().lower() == "all"
        else [find_market(session, market)]
    )
    for one in chosen:
        one.opens_at, one.closes_at = opens_at, closes_at
    return chosen


def find_market(session: Session, market: str) -> Market:
    """A market by its code (`AB`) or by (part of) its name (`Subagan`)."""
    wanted = market.strip()
    if not wanted:
        raise RegisterError("name a market by its code or its name")
    by_code = session.scalar(select(Market).where(func.upper(Market.code) == wanted.upper()))
    if by_code is not None:
        return by_code
    found = session.scalars(
        select(Market).where(func.lower(Market.name).contains(wanted.lower()))
    ).all()
    if len(found) != 1:
        known = ", ".join(f"{m.code} ({m.name})" for m in session.scalars(select(Market)))
        many = "more than one market" if found else "no market"
        raise RegisterError(f"{many} matches {market!r}; the markets are: {known}")
    return found[0]


MARKET_CODE = re.compile(r"^[A-Z]{2}$")


def add_market(
    session: Session,
    *,
    code: str,
    name: str,
    opens_at: dt.time,
    closes_at: dt.time,
    delivery_fee: int,
) -> Market:
    """A new market (or group of shops) that orders can come from."""
    code = code.strip().upper()
    name = " ".join(name.split())
    if not MARKET_CODE.match(code):
        raise RegisterError("a market code is two letters, like AB")
    if session.scalar(select(Market).where(Market.code == code)) is not None:
        raise RegisterError(f"the market code {code} is taken")
    if not 1 <= len(name) <= 80:
        raise RegisterError("a market needs a name (at most 80 characters)")
    if not opens_at < closes_at:
        raise RegisterError("a market opens before it closes")
    if not 0 <= delivery_fee <= 100_000:
        raise RegisterError("a delivery fee is 0 to Rp100.000")
    position = (session.scalar(select(func.max(Market.position))) or 0) + 1
    market = Market(
        code=code,
        name=name,
        opens_at=opens_at,
        closes_at=closes_at,
        delivery_fee=delivery_fee,
        position=position,
    )
    session.add(market)
    return market
