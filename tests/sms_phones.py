"""People texting Telepasar, and what the outbox holds for each of them.

Messages go in through Africa's Talking's SMS webhook (no token set), whose replies go out
through the outbox like every other SMS, so one list per number tells the whole story.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re

from flask import Flask
from sqlalchemy import select

from domain.office.register import register_courier, set_trader_phone
from storage.models import Courier, OutboundMessage

_ids = itertools.count(1)


class Phones:
    """Several phones talking to one app."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()
        self.database = app.extensions["telepasar_db"]

    def send(self, phone: str, text: str) -> str | None:
        """Send one SMS from `phone`; returns the newest message to `phone` after it."""
        before = len(self.inbox(phone))
        token = self.app.config["TELEPASAR_SETTINGS"].at_webhook_token
        response = self.client.post(
            "/africastalking/sms",
            query_string={"token": token} if token else None,
            data={
                "from": phone,
                "to": "21234",
                "text": text,
                "date": "2026-11-30 10:00:00",
                "id": f"ATXid_{next(_ids)}",
                "linkId": "",
            },
        )
        assert response.status_code == 200
        after = self.inbox(phone)
        return after[-1] if len(after) > before else None

    def inbox(self, phone: str) -> list[str]:
        """Every SMS the outbox holds for `phone`, oldest first (sent or not, never refused)."""
        with self.database.readers() as session:
            return list(
                session.scalars(
                    select(OutboundMessage.body)
                    .where(OutboundMessage.to == phone, OutboundMessage.state != "refused")
                    .order_by(OutboundMessage.id)
                )
            )

    def add_courier(
        self, phone: str, name: str, market: str = "AB", *, ready: bool = True
    ) -> Courier:
        """Register a courier (as `courier-add` does) who has texted SIAP when `ready`."""
        now = self.app.config["TELEPASAR_CLOCK"]()
        with self.database.unit_of_work() as session:
            courier = register_courier(session, phone=phone, name=name, market=market, now=now)
            courier.available = ready
        return courier

    def add_trader_phone(self, trader: str, phone: str) -> None:
        with self.database.unit_of_work() as session:
            set_trader_phone(session, trader=trader, phone=phone)

    def quote(
        self,
        phone: str,
        lines: str = "B04 2, B06 1",
        *,
        address: str = "Jl. Gatot Subroto 7, Banjar Kauh, Desa Bugbug",
    ) -> str | None:
        """A customer gives a name and an address and sends `PESAN lines`; returns the quote."""
        self.send(phone, "NAMA Ni Made Sari")
        self.send(phone, f"ALAMAT {address}")
        return self.send(phone, f"PESAN {lines}")

    def order_by_sms(self, phone: str, lines: str = "B04 2, B06 1") -> str:
        """A customer orders by keyword SMS; returns the order number."""
        self.quote(phone, lines)
        before = len(self.inbox(phone))
        self.send(phone, "YA")
        news = self.inbox(phone)[before:]  # the one confirmation
        assert news and re.match(r"Telepasar: Pesanan \d+ diterima[.,]", news[0]), news
        return news[0].split("Pesanan ", 1)[1].split(" ", 1)[0]


def later(app: Flask, seconds: float) -> None:
    """Move the app's (fake) clock on."""
    clock = app.config["TELEPASAR_CLOCK"]
    clock.now = clock.now + dt.timedelta(seconds=seconds)
