"""The register of couriers and traders' phones (the CLI now, the console later)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.delivery import queries as delivery_queries
from domain.phones import friendly_phone, in_region, normalize_phone
from storage.models import Courier, Market, Vendor
from voice_prompts import LANGUAGES

# Why something cannot be registered, in English for the CLI; the console says the same
# `key` in the staff member's language (`register.error.<key>` in console/texts.py).
ENGLISH = {
    "courier_name": "a courier needs a name (at most 80 characters)",
    "language": "language '{value}': choose one of {choices}",
    "courier_exists": "{phone} is registered already, as {name} ({market})",
    "no_trader": "no trader with the code '{code}'",
    "outside_region": (
        "{phone} is not a number of {region} (PHONE_REGION): Telepasar texts no number outside it"
    ),
    "hours": "a market opens before it closes (or at the same time: all day)",
    "no_market_named": "name a market by its code or its name",
    "market_none": "no market matches '{market}'; the markets are: {known}",
    "market_many": "more than one market matches '{market}'; the markets are: {known}",
    "market_code": "a market code is two letters, like AB",
    "market_taken": "the market code {code} is taken",
    "market_name": "a market needs a name (at most 80 characters)",
    "market_fee": "a delivery fee is 0 to Rp100.000",
}


class RegisterError(ValueError):
    """What was asked cannot be registered: `key` and `values` say why (the console in the
    staff member's language); str() is the English the CLI prints."""

    def __init__(self, key: str, **values: str) -> None:
        self.key, self.values = key, values
        super().__init__(ENGLISH[key].format(**values))


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
    e164 = local_phone(phone, region)
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise RegisterError("courier_name")
    if language not in LANGUAGES:
        raise RegisterError("language", value=language, choices=", ".join(LANGUAGES))
    home = find_market(session, market)
    existing = delivery_queries.courier_by_phone(session, e164)
    if existing is not None:
        raise RegisterError(
            "courier_exists",
            phone=friendly_phone(e164),
            name=existing.name,
            market=existing.market.name,
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
        raise RegisterError("no_trader", code=trader.strip())
    vendor.phone = local_phone(phone, region)
    return vendor


def local_phone(phone: str, region: str) -> str:
    """The number in E.164, if it belongs to PHONE_REGION: we text no number beyond it."""
    e164 = normalize_phone(phone, region)
    if not in_region(e164, region):
        raise RegisterError("outside_region", phone=phone.strip()[:40], region=region)
    return e164


@dataclass(frozen=True)
class OtherHolder:
    """Someone else who texts from a number: a `courier` (code: their market's) or a
    `trader` (code: their stall's)."""

    kind: str
    name: str
    code: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name} ({self.code})"


def phone_also_used(
    session: Session, e164: str, *, courier_id: int | None = None, vendor_id: int | None = None
) -> list[OtherHolder]:
    """Who else texts from this number (one person may be a courier and a trader: said, not
    refused), leaving out the courier or trader it was just given to."""
    others = []
    courier = delivery_queries.courier_by_phone(session, e164)
    if courier is not None and courier.id != courier_id:
        others.append(OtherHolder("courier", courier.name, courier.market.code))
    for vendor in delivery_queries.vendors_by_phone(session, e164):
        if vendor.id != vendor_id:
            others.append(OtherHolder("trader", vendor.name, vendor.code))
    return others


def set_market_hours(
    session: Session, *, market: str, opens_at: dt.time, closes_at: dt.time
) -> list[Market]:
    """A market's hours (`all`: every market's), local time; the same opening and closing
    time keeps it open around the clock (`make run`'s demo at any hour)."""
    if opens_at > closes_at:
        raise RegisterError("hours")
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
        raise RegisterError("no_market_named")
    by_code = session.scalar(select(Market).where(func.upper(Market.code) == wanted.upper()))
    if by_code is not None:
        return by_code
    found = session.scalars(
        select(Market).where(func.lower(Market.name).contains(wanted.lower()))
    ).all()
    if len(found) != 1:
        known = ", ".join(f"{m.code} ({m.name})" for m in session.scalars(select(Market)))
        raise RegisterError("market_many" if found else "market_none", market=wanted, known=known)
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
        raise RegisterError("market_code")
    if session.scalar(select(Market).where(Market.code == code)) is not None:
        raise RegisterError("market_taken", code=code)
    if not 1 <= len(name) <= 80:
        raise RegisterError("market_name")
    if opens_at > closes_at:
        raise RegisterError("hours")
    if not 0 <= delivery_fee <= 100_000:
        raise RegisterError("market_fee")
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
