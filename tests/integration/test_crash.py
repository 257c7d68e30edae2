"""gunicorn killed with `kill -9` (master and workers) in the middle of USSD sessions and
SMS, under load, then started again, with the providers' retries: nothing acknowledged is
lost, and nothing happens twice.

- Every order whose closing screen reached its caller exists, with its caller.
- Every SMS answered 200 is stored.
- Every order has exactly one confirmation SMS, and no caller has two orders, even after
  the interrupted requests are sent again (as Africa's Talking retries an SMS, and as a
  USSD gateway may resend a request whose answer was lost).

On SQLite and on PostgreSQL. A killed process loses no commit of either kind: the
operating system and the database server keep them all, so this cannot tell a relaxed
commit from a durable one (docs/OPERATIONS.md, Durability; test_durability.py does).
"""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import func, select

from storage.database import Database
from storage.models import Customer, InboundMessage, Order, OutboundMessage
from tests.processes import start_gunicorn

CALLERS, TEXTS = 120, 120
AT_ONCE = 16
KILL_AFTER_ORDERS = 12  # killed once this many closing screens have reached their callers


def ussd_form(n: int, text: str) -> dict[str, str]:
    return {
        "sessionId": f"ATUid_kill{n:05d}",
        "serviceCode": "*384*21#",
        "phoneNumber": f"+628124{n:07d}",
        "networkCode": "51010",
        "text": text,
    }


def ussd_steps(n: int) -> list[str]:
    # language, market, Bu Komang, Tomat, 1 kg, checkout, name, address, order
    inputs = ["1", "1", "1", "4", "1", "3", f"Pelanggan {n}", f"Banjar Kauh {n}", "1"]
    return ["*".join(inputs[:step]) for step in range(len(inputs) + 1)]


def sms_form(n: int) -> dict[str, str]:
    return {"from": f"+628126{n:07d}", "to": "21234", "text": "BANTUAN", "id": f"ATXid_k{n}"}


class Traffic:
    """Callers and texters against one URL; what was acknowledged, what was cut off."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.orders: dict[int, str] = {}  # caller -> order number on their closing screen
        self.stored: set[int] = set()  # texters answered 200
        self.cut: list[tuple[str, int, str]] = []  # (kind, n, text) never answered
        self.lock = threading.Lock()
        self.enough = threading.Event()

    def call(self, n: int) -> None:
        with requests.Session() as http:
            for text in ussd_steps(n):
                try:
                    reply = http.post(
                        f"{self.url}/africastalking/ussd", data=ussd_form(n, text), timeout=30
                    )
                except requests.RequestException:
                    with self.lock:
                        self.cut.append(("ussd", n, text))
                    return
                assert reply.status_code == 200, reply.text
            assert reply.text.startswith("END Terima kasih! Pesanan "), reply.text
            with self.lock:
                self.orders[n] = reply.text.split("Pesanan ", 1)[1].split(" ", 1)[0]
                if len(self.orders) >= KILL_AFTER_ORDERS:
                    self.enough.set()

    def text(self, n: int) -> None:
        try:
            reply = requests.post(f"{self.url}/africastalking/sms", data=sms_form(n), timeout=30)
        except requests.RequestException:
            with self.lock:
                self.cut.append(("sms", n, ""))
            return
        assert reply.status_code == 200, reply.text
        with self.lock:
            self.stored.add(n)


def kill_9(pid: int) -> None:
    """SIGKILL a process and its children at once: nothing of it gets to clean up."""
    children = [
        int(entry)
        for entry in os.listdir("/proc")
        if entry.isdigit() and _parent(int(entry)) == pid
    ]
    for victim in [pid, *children]:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_kill_9_mid_session_loses_nothing_acknowledged_and_repeats_nothing(settings, tmp_path):
    server, url = start_gunicorn(settings, tmp_path / "before.log", workers=2)
    traffic = Traffic(url)
    try:
        with ThreadPoolExecutor(AT_ONCE) as pool:
            work = [pool.submit(traffic.call, n) for n in range(CALLERS)]
            work += [pool.submit(traffic.text, n) for n in range(TEXTS)]
            assert traffic.enough.wait(timeout=120), "no orders placed before the kill"
            kill_9(server.process.pid)
            server.process.wait(timeout=10)
            for done in work:
                done.result()  # an assertion failed in a thread shows here
    finally:
        if server.process.poll() is None:
            server.stop()
    assert traffic.cut, "the kill cut nothing off: it came too late to test anything"

    again, url = start_gunicorn(settings, tmp_path / "after.log", workers=2)
    try:
        with requests.Session() as http:
            for kind, n, text in traffic.cut:  # the providers' retries
                if kind == "sms":
                    reply = http.post(f"{url}/africastalking/sms", data=sms_form(n))
                else:
                    reply = http.post(f"{url}/africastalking/ussd", data=ussd_form(n, text))
                assert reply.status_code == 200, reply.text
                assert "ada gangguan" not in reply.text  # an answer, not the apology
    finally:
        again.stop()
    assert "Traceback" not in again.output(), again.output()

    database = Database(settings.database_url)
    try:
        with database.readers() as session:
            numbers = dict(
                session.execute(select(Customer.phone, Order.number).join(Order.customer)).all()
            )
            for n, number in traffic.orders.items():
                assert numbers.get(f"+628124{n:07d}") == number  # acknowledged: kept
            per_caller = session.execute(
                select(Order.customer_id, func.count()).group_by(Order.customer_id)
            ).all()
            assert max(count for _, count in per_caller) == 1  # no order twice
            confirmations = session.execute(
                select(OutboundMessage.order_id, func.count())
                .where(OutboundMessage.kind == "order_update", OutboundMessage.to.like("+628124%"))
                .group_by(OutboundMessage.order_id)
            ).all()
            assert len(confirmations) == len(numbers)
            assert {count for _, count in confirmations} == {1}  # one confirmation an order
            ids = set(
                session.scalars(
                    select(InboundMessage.provider_message_id).where(
                        InboundMessage.provider == "africastalking"
                    )
                )
            )
            assert {f"ATXid_k{n}" for n in traffic.stored} <= ids  # acknowledged: stored
            retried = {f"ATXid_k{n}" for kind, n, _ in traffic.cut if kind == "sms"}
            assert retried <= ids
    finally:
        database.dispose()
