"""200 callers ordering at once through the gateway as it is deployed (gunicorn, 2 workers).

Each USSD session is a different caller ordering a different quantity under their own name;
every one must end with their own order (none lost, none mixed up with another's) and its
confirmation SMS, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storage.database import Database
from storage.models import Order, OutboundMessage
from tests.processes import start_gunicorn

CALLERS = 200
AT_ONCE = 32


def caller(n: int) -> tuple[str, str, int]:
    """The phone, name and kilograms of tomatoes of caller `n`."""
    return f"+628123{n:07d}", f"Pelanggan {n}", n % 5 + 1


def order_by_ussd(url: str, n: int) -> str:
    """One whole session, as Africa's Talking posts it; returns the last screen."""
    phone, name, kilos = caller(n)
    # language, market, Bu Komang, Tomat, kilos, checkout, name, address, order
    inputs = ["1", "1", "1", "4", str(kilos), "3", name, f"Banjar Kauh {n}", "1"]
    with requests.Session() as http:
        for step in range(len(inputs) + 1):
            response = http.post(
                f"{url}/africastalking/ussd",
                data={
                    "sessionId": f"ATUid_{n:06d}",
                    "serviceCode": "*384*21#",
                    "phoneNumber": phone,
                    "networkCode": "51010",
                    "text": "*".join(inputs[:step]),
                },
                timeout=30,
            )
            assert response.status_code == 200, response.text
        return response.text


def test_200_concurrent_ussd_orders_through_gunicorn_each_placed_once(settings, tmp_path):
    server, url = start_gunicorn(settings, tmp_path / "gunicorn.log", workers=2)
    try:
        with ThreadPoolExecutor(AT_ONCE) as pool:
            last_screens = list(pool.map(lambda n: order_by_ussd(url, n), range(CALLERS)))
    finally:
        server.stop()

    assert all(screen.startswith("END Terima kasih! Pesanan ") for screen in last_screens), [
        s for s in last_screens if not s.startswith("END Terima kasih!")
    ][:3]
    database = Database(settings.database_url)
    try:
        with database.readers() as session:
            assert_each_caller_has_their_own_order(session)
    finally:
        database.dispose()
    assert "Traceback" not in server.output()


def assert_each_caller_has_their_own_order(session: Session) -> None:
    orders = session.scalars(
        select(Order).options(selectinload(Order.lines), selectinload(Order.customer))
    ).all()
    assert len(orders) == CALLERS
    for order in orders:
        n = int(order.customer.phone[-7:])
        phone, name, kilos = caller(n)
        assert (order.delivery_name, order.delivery_address) == (name, f"Banjar Kauh {n}")
        assert [(line.item_name, line.quantity) for line in order.lines] == [("Tomat", kilos)]
        assert order.total == kilos * 14_000 + order.delivery_fee
        confirmations = select(func.count()).where(
            OutboundMessage.order_id == order.id,
            OutboundMessage.to == phone,
            OutboundMessage.body.contains(f"Pesanan {order.number} diterima"),
        )
        assert session.scalar(confirmations) == 1
