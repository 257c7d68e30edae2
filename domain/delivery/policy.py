"""How long couriers have to take an order, and who hears when none does."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from settings import Settings


@dataclass(frozen=True)
class DispatchPolicy:
    """How long couriers have to take an order, who hears when none does (or a delivery
    fails), and the office's share of a delivery fee."""

    offer_window: dt.timedelta = dt.timedelta(seconds=300)
    call_center_number: str = ""
    commission_percent: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchPolicy:
        """The policy as COURIER_OFFER_SECONDS, CALL_CENTER_NUMBER and
        COURIER_COMMISSION_PERCENT set it."""
        return cls(
            offer_window=dt.timedelta(seconds=settings.courier_offer_seconds),
            call_center_number=settings.call_center_number,
            commission_percent=settings.courier_commission_percent,
        )
