"""Values that prompts are made of: a prompt key with parameters, money, a moment in time."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from babel.numbers import format_decimal

from settings import DEFAULT_TIMEZONE


@lru_cache(maxsize=4096)
def format_rupiah(amount: int) -> str:
    """Write rupiah the Indonesian way: `Rp15.000` (dot for thousands, no space); an amount
    owed the other way `-Rp15.000`."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{format_decimal(abs(amount), locale='id_ID')}"


# Rupiah as people write them: `15000`, `15.000`, `Rp15.000`, `Rp 15.000`, `Rp. 15.000`,
# `15rb`, `15 ribu`, `15k`, and `Rp15.000,-`. Whole rupiah only, ASCII digits only: `12.5`,
# `15.000,50`, `-15000` and `٣` are no amount.
WRITTEN_RUPIAH = re.compile(
    r"(?:RP\.?)?\s*([0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,9})\s*(RB|RIBU|K)?\s*(?:[,.]\s*-)?"
)


def parse_rupiah(text: str) -> int | None:
    """An amount of rupiah as written (see WRITTEN_RUPIAH), or None: the one reader of money
    for SMS, the register's CSV and the console."""
    found = WRITTEN_RUPIAH.fullmatch(text.strip().upper())
    if found is None:
        return None
    amount = int(found.group(1).replace(".", ""))
    return amount * 1000 if found.group(2) else amount


@dataclass(frozen=True)
class Money:
    """An amount of rupiah; written `Rp15.000`, spoken in words by the voice channel."""

    amount: int

    def __str__(self) -> str:
        return format_rupiah(self.amount)


@dataclass(frozen=True)
class Digits:
    """A number read digit by digit when spoken (an order number): written as is."""

    digits: str

    def __str__(self) -> str:
        return self.digits


@dataclass(frozen=True)
class When:
    """A date and time (a market's next opening), written per language in `timezone` (the
    market's): a moment read back from the database in UTC is still shown as local time."""

    moment: dt.datetime
    timezone: str = DEFAULT_TIMEZONE


@dataclass(frozen=True)
class Text:
    """A prompt key and its parameters; parameters may be Money, When or other Texts."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, key: str, **params: Any) -> Text:
        """Shorthand: `Text.of("cart.title", count=2, total=Money(30_000))`."""
        return cls(key, params)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form, for conversation state kept in the database."""
        return {"key": self.key, "params": {k: _dump(v) for k, v in self.params.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Text:
        """The inverse of `to_dict`."""
        return cls(data["key"], {k: _load(v) for k, v in data.get("params", {}).items()})


def _dump(value: Any) -> Any:
    if isinstance(value, Money):
        return {"money": value.amount}
    if isinstance(value, When):
        return {"when": value.moment.isoformat(), "tz": value.timezone}
    if isinstance(value, Digits):
        return {"digits": value.digits}
    if isinstance(value, Text):
        return {"text": value.to_dict()}
    return value


def _load(value: Any) -> Any:
    if isinstance(value, dict):
        if "money" in value:
            return Money(value["money"])
        if "when" in value:
            moment = dt.datetime.fromisoformat(value["when"])
            return When(moment, value.get("tz", DEFAULT_TIMEZONE))
        if "digits" in value:
            return Digits(value["digits"])
        if "text" in value:
            return Text.from_dict(value["text"])
    return value
