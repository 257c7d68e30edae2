"""Thirty couriers answer YA to one order at the same moment, against a real server process.

The gateway runs as its own process (Flask's threaded server) on the test's database,
SQLite and PostgreSQL; thirty threads post `YA <nomor>` over HTTP through Africa's Talking's
SMS webhook, released together. Exactly one courier gets the job; each of the other 29 is
told once that the order was taken; nobody is assigned twice.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Offer, Order, OutboundMessage
from tests.processes import start_gateway
from tests.sms_phones import Phones

CUSTOMER = "+6281234567890"
COURIERS = [f"+62813111{n:05d}" for n in range(1, 31)]


def test_thirty_couriers_say_ya_at_once_and_exactly_one_wins(
    app, settings, db: Session, tmp_path: Path
):
    phones = Phones(app)
    for n, phone in enumerate(COURIERS, start=1):
        phones.add_courier(phone, f"Kurir {n:02d}")
    number = phones.order_by_sms(CUSTOMER)
    assert all(phones.inbox(phone)[-1].endswith(f"Balas YA {number}") for phone in COURIERS)

    server, url = start_gateway(settings, tmp_path / "gateway.log")
    go = threading.Barrier(len(COURIERS))
    statuses: list[int] = []

    def answer(n: int, phone: str) -> None:
        form = {"from": phone, "to": "21234", "text": f"YA {number}", "id": f"race-{n}"}
        go.wait(timeout=30)
        statuses.append(
            requests.post(f"{url}/africastalking/sms", data=form, timeout=60).status_code
        )

    threads = [threading.Thread(target=answer, args=item) for item in enumerate(COURIERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
    finally:
        server.stop()
    assert statuses == [200] * 30, server.output()

    db.rollback()
    order = db.scalars(select(Order).where(Order.number == number)).one()
    assert order.state == "assigned" and order.courier is not None
    offers = Counter(db.scalars(select(Offer.state).where(Offer.order_id == order.id)))
    assert offers == {"accepted": 1, "taken": 29}
    told = Counter(
        (message.to, message.body)
        for message in db.scalars(select(OutboundMessage).where(OutboundMessage.kind == "offer"))
        if "sudah diambil" in message.body
    )
    losers = set(COURIERS) - {order.courier.phone}
    assert set(told) == {(phone, f"Pesanan {number} sudah diambil kurir lain.") for phone in losers}
    assert set(told.values()) == {1}  # each loser told once
    job_sheets = db.scalar(
        select(func.count())
        .select_from(OutboundMessage)
        .where(OutboundMessage.body.startswith(f"Pesanan {number} untuk Anda."))
    )
    assert job_sheets == 1
    assert phones.inbox(order.courier.phone)[-1].startswith(f"Pesanan {number} untuk Anda.")
