"""Races between two PostgreSQL sessions, stepped by hand (tests/stepping.py).

Each test holds one verb just before its UPDATE, after it has read the row, lets another
verb run and commit in between, then lets the first go on: the interleaving READ COMMITTED
allows and SQLite's single writer never shows. Each broke before its verb's UPDATE carried
everything its decision was made on. PostgreSQL only (TEST_DATABASE_URL, as CI sets it).
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from domain.delivery import queries as delivery_queries
from domain.delivery.dispatch import cancel_by_staff, release, sweep
from domain.delivery.policy import DispatchPolicy
from domain.messaging.outbox import (
    OutboxPolicy,
    SentMessage,
    deliver_due,
    enqueue_sms,
    record_delivery,
)
from storage.models import Order, OutboundMessage
from tests.conftest import MARKET_CLOSED
from tests.sms_phones import Phones
from tests.stepping import Paused

CUSTOMER = "+6281234567890"
MADE, KETUT = "+6281311110001", "+6281311110002"
BU_KOMANG = "+6285200000001"  # trader AB1 (B04)
ORDER_UPDATE = r"^UPDATE orders SET state"


@pytest.fixture
def database(app, settings):
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("READ COMMITTED races are PostgreSQL's (run with TEST_DATABASE_URL)")
    return app.extensions["telepasar_db"]


@pytest.fixture
def phones(app, database) -> Phones:
    phones = Phones(app)
    phones.add_courier(MADE, "Pak Made")
    phones.add_courier(KETUT, "Bli Ketut")
    phones.add_trader_phone("AB1", BU_KOMANG)
    return phones


def order_of(db: Session, number: str) -> Order:
    db.rollback()
    return db.scalars(select(Order).where(Order.number == number)).one()


def test_two_sweeps_at_the_opening_never_give_up_an_order_one_of_them_offered(
    app, database, phones, clock, db
):
    clock.now = MARKET_CLOSED  # placed at 16.00: waits for Tuesday 06.00
    number = phones.order_by_sms(CUSTOMER, lines="B04 1")
    opening = order_of(db, number).deliver_after
    policy = DispatchPolicy.from_settings(app.config["TELEPASAR_SETTINGS"])

    def second_worker(_: Session):
        return sweep(database.unit_of_work, now=opening, policy=policy)

    with Paused(database, ORDER_UPDATE, second_worker) as second:
        first = sweep(database.unit_of_work, now=opening, policy=policy)
        counted = second.finish()

    assert first.offered == 1
    assert counted.unassigned == 0  # it had lost the race: nothing to give up
    assert order_of(db, number).state == "offered"
    assert not any("belum ada kurir" in body.lower() for body in phones.inbox(CUSTOMER))


def test_a_staff_cancel_racing_a_ya_tells_the_courier_and_the_trader(
    app, database, phones, clock, db
):
    number = phones.order_by_sms(CUSTOMER, lines="B04 1")  # offered to both couriers
    order_id = order_of(db, number).id

    def staff_cancel(session: Session) -> bool:
        return cancel_by_staff(
            session, delivery_queries.order_for_dispatch(session, order_id), now=clock()
        )

    with Paused(database, ORDER_UPDATE, staff_cancel) as cancel:
        phones.send(MADE, f"YA {number}")  # wins the order and commits meanwhile
        assert order_of(db, number).state == "assigned"
        assert cancel.finish() is True

    assert order_of(db, number).state == "cancelled"
    assert phones.inbox(MADE)[-1] == (
        f"Pesanan {number} dibatalkan oleh call center. Jangan dibelanjakan."
    )
    assert phones.inbox(BU_KOMANG)[-1].startswith(
        f"Telepasar: Pesanan {number} dibatalkan oleh petugas kami. Jangan siapkan: Tomat"
    )


def test_a_stale_batal_never_releases_the_job_another_courier_won(app, database, phones, clock, db):
    number = phones.order_by_sms(CUSTOMER, lines="B04 1")
    phones.send(MADE, f"YA {number}")
    made = delivery_queries.courier_by_phone(db, MADE)

    def stale_batal(session: Session):
        return release(session, session.merge(made), number, now=clock())

    with Paused(database, ORDER_UPDATE, stale_batal) as stale:
        phones.send(MADE, f"BATAL {number}")  # the first BATAL: offered to Bli Ketut again
        clock.now += dt.timedelta(seconds=5)
        phones.send(KETUT, f"YA {number}")  # Bli Ketut wins it
        answer = stale.finish()

    order = order_of(db, number)
    assert order.state == "assigned"
    assert order.courier_id == delivery_queries.courier_by_phone(db, KETUT).id
    assert answer.key == "dispatch.reply.not_yours"


def waits_for_an_advisory_lock(database, seconds: float = 10) -> bool:
    """Whether some session is waiting for an advisory lock within `seconds`."""
    deadline = time.monotonic() + seconds
    with database.engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            ).scalar_one()
            connection.rollback()
            if waiting:
                return True
            time.sleep(0.05)
    return False


class FixedSender:
    """A provider that takes every SMS and gives it one id, known in advance."""

    def send(self, to: str, body: str) -> SentMessage:
        return SentMessage(provider_message_id="ATXid_race")


def test_a_delivery_report_arriving_while_the_worker_records_sent_is_applied(
    app, database, clock, db
):
    enqueue_sms(db, to=CUSTOMER, body="Halo", kind="reply", now=clock())
    db.commit()
    policy = OutboxPolicy(max_attempts=6, lease=dt.timedelta(seconds=60))

    def report(session: Session) -> None:
        record_delivery(
            session,
            provider="africastalking",
            provider_message_id="ATXid_race",
            delivered=True,
            error=None,
            now=clock(),
        )
        session.execute(text("SELECT 'report stored'"))  # held here, before its commit

    with Paused(database, "report stored", report) as held:
        worker = threading.Thread(
            target=deliver_due,
            args=(database.unit_of_work, FixedSender()),
            kwargs={"clock": clock, "policy": policy, "worker_id": "w1"},
        )
        worker.start()
        # The worker reaches its record of `sent` while the report is not committed yet: it
        # must wait for the report's lock (without it, it records and misses the report).
        waited = waits_for_an_advisory_lock(database)
        held.finish()
        worker.join(timeout=30)
    assert waited

    db.rollback()
    message = db.scalars(select(OutboundMessage)).one()
    assert (message.state, message.provider_message_id) == ("delivered", "ATXid_race")


def test_two_new_sessions_racing_for_one_left_basket_offer_it_once(
    app, client, database, clock, monkeypatch
):
    """A caller left a basket and dials twice at once: both new sessions find it, but only
    the first to mark it replaced offers it ("Lanjutkan?"); the other, run again, sees it
    taken and starts afresh."""
    from conversations import menu_turns
    from conversations.menu_turns import UssdRequest, ussd_turn
    from domain.orders.rules import OrderRules
    from tests.ussd import UssdSession

    UssdSession(client, session_id="ATUid_left").press("1", "1", "1", "4", "2")  # a basket
    clock.now += dt.timedelta(minutes=1)

    def dial(session_id: str) -> str:
        request = UssdRequest(session_id, CUSTOMER, "", OrderRules(), "id", clock.now)
        return database.run(lambda session: ussd_turn(session, request)).text

    found = menu_turns._resumable
    replies = {}

    def second_dial_meanwhile(*args, **kwargs):
        left = found(*args, **kwargs)
        if "second" not in replies:  # the second dial runs, and commits, in between
            replies["second"] = None
            replies["second"] = dial("ATUid_second")
        return left

    monkeypatch.setattr(menu_turns, "_resumable", second_dial_meanwhile)
    replies["first"] = dial("ATUid_first")
    offered = [who for who, reply in replies.items() if "Lanjutkan?" in reply]
    assert offered == ["second"], replies
