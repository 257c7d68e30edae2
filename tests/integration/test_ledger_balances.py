"""The ledger always balances: random sequences of every verb that moves an order or money,
with every balance checked after each step.

What each party must hold follows from the order's state alone (docs/DISPATCH.md, The money):

- the traders hold the goods' price while the goods are bought and not returned;
- the customer has paid the total once the order is delivered, and nothing before;
- the courier who has the goods has paid their price; the one who delivered keeps the fee
  less the office's commission; nobody else holds anything;
- the office holds its commission on a delivery, and has carried the goods of a write-off.

Beside it, each courier's balance with the office is followed step by step (commissions,
write-offs, hand-overs, corrections), and no movement is ever changed or removed.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from domain.delivery import dispatch, ledger
from domain.delivery.policy import DispatchPolicy
from domain.hours import office_day
from domain.office import books
from domain.office.register import register_courier
from domain.office.staff import add_staff
from domain.orders.rules import OrderRules
from domain.orders.service import OrderLineRequest, cancel_order, place_order
from storage.models import Courier, Item, Movement, Order, OrderLine

PERCENT = 10
ACTIONS = (
    "accept", "pick_up", "deliver", "fail", "release", "by_hand", "reoffer", "return",
    "write_off", "staff_cancel", "customer_cancel", "handover", "correct", "night", "back",
    "give_up",
)  # fmt: skip
# Half the steps are drawn from what the order's state makes likely to work, so that most
# sequences carry an order far (bought, failed, taken over, delivered, returned, written
# off); the other half from every verb, refusals included.
LIKELY = {
    "placed": ("reoffer", "by_hand"),
    "offered": ("accept", "accept", "by_hand", "back"),
    "assigned": ("pick_up", "pick_up", "release", "back"),
    "picked_up": ("deliver", "fail", "fail"),
    "failed": ("by_hand", "reoffer", "return", "write_off", "write_off"),
    "unassigned": ("by_hand", "reoffer"),
}
COURIER = st.sampled_from((0, 0, 0, 1))  # mostly the same courier, sometimes the other
_numbers = itertools.count(1)


@pytest.fixture
def app(settings, make_app):
    return make_app(replace(settings, courier_commission_percent=PERCENT))


@pytest.fixture
def office(app):
    """The database, the clock, an admin's id and the items a test order is made of."""
    database = app.extensions["telepasar_db"]
    clock = app.config["TELEPASAR_CLOCK"]
    with database.unit_of_work() as session:
        admin = add_staff(session, username="admin", password_hash="-", role="admin", now=clock())
        items = session.scalars(select(Item.id).where(Item.code.in_(("B04", "B06", "B10")))).all()
        return database, clock, admin.id, list(items)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), length=st.integers(1, 30))
def test_every_sequence_of_verbs_keeps_the_books_balanced(office, data, length):
    database, clock, admin, items = office
    clock.now = clock.now.replace(hour=2)  # 10:00 WITA: the market is open
    rules = OrderRules(dispatch=DispatchPolicy(commission_percent=PERCENT))
    run = next(_numbers)
    with database.unit_of_work() as session:
        for courier in session.scalars(select(Courier)):
            courier.available = False  # earlier examples' couriers are offered nothing
        couriers = [
            register_courier(
                session, phone=f"+628131{run:03d}{n:04d}", name=f"K{n}", market="AB", now=clock()
            ).id
            for n in (1, 2)
        ]
        for courier_id in couriers:
            session.get(Courier, courier_id).available = True
        placed = place_order(
            session,
            phone=f"+628129{run:03d}0000",
            lines=[OrderLineRequest(item, 1 + n) for n, item in enumerate(items)],
            name="Ni Made",
            address="Banjar Kauh, Desa Bugbug",
            channel="sms",
            rules=rules,
            now=clock(),
        )
    owed: dict[int, int] = defaultdict(int)
    handovers: list[int] = []
    seen: list[tuple] = snapshot(database)
    for _ in range(length):
        with database.unit_of_work() as session:
            order = session.get(Order, placed.order_id)
            before = (order.state, order.goods_with_id)
            likely = LIKELY.get(order.state, ())
            action = data.draw(st.sampled_from(likely) if likely and data.draw(st.booleans())
                               else st.sampled_from(ACTIONS))  # fmt: skip
            who, amount = data.draw(COURIER), data.draw(st.integers(1, 50_000))
            courier = session.get(Courier, couriers[who])
            act(session, action, order, courier, amount, admin, clock, handovers, owed)
            session.flush()
            session.refresh(order)
            follow(order, before, owed)
        seen = check(database, placed.order_id, couriers, owed, seen, clock)
        event(f"reached {order.state}")
    if any(row[1] == "goods_handed" and row[5] == placed.order_id for row in seen):
        event("goods taken over by another courier")


def act(session, action, order, courier, amount, admin, clock, handovers, owed) -> None:
    """One verb, as a courier's SMS, the board or the books page would run it."""
    now = clock()
    number = order.number
    policy = DispatchPolicy(commission_percent=PERCENT)
    if action == "accept":
        dispatch.accept(session, courier, number, now=now)
    elif action == "pick_up":
        dispatch.pick_up(session, courier, number, now=now)
    elif action == "deliver":
        dispatch.deliver(session, courier, number, now=now, commission_percent=PERCENT)
    elif action == "fail":
        dispatch.fail(session, courier, number, "tidak ada orang", now=now, policy=policy)
    elif action == "release":
        dispatch.release(session, courier, number, now=now)
    elif action == "by_hand":
        dispatch.assign_by_hand(session, order, courier, now=now)
    elif action == "reoffer":
        dispatch.reoffer(session, order, now=now)
    elif action == "return":
        dispatch.return_goods(session, order, now=now, staff_id=admin)
    elif action == "write_off":
        dispatch.write_off(session, order, now=now, staff_id=admin)
    elif action == "staff_cancel":
        dispatch.cancel_by_staff(session, order, now=now)
    elif action == "customer_cancel":
        cancel_order(session, order, now=now)
    elif action == "handover":
        to_office = amount % 2 == 0
        books.record_handover(
            session, courier, amount, to_office=to_office, staff_id=admin, note="", now=now
        )
        owed[courier.id] += -amount if to_office else amount
        handovers.append(max(session.scalars(select(Movement.id))))
    elif action == "correct" and handovers:
        movement = session.get(Movement, handovers[-1])
        if books.correct_handover(session, movement.id, staff_id=admin, note="salah", now=now):
            party = movement.payer if movement.payee == ledger.OFFICE else movement.payee
            back = movement.amount if movement.payee == ledger.OFFICE else -movement.amount
            owed[int(party.split(":")[1])] += back
    elif action == "back":
        dispatch.back_to_failed(session, order, now=now)
    elif action == "give_up":  # the sweep, when nobody took it
        dispatch.give_up(session, order, now=now, policy=policy)
    elif action == "night":
        clock.now = clock.now + dt.timedelta(hours=7)  # the books' day turns now and then


def follow(order: Order, before: tuple[str, int | None], owed: dict[int, int]) -> None:
    """What the courier owes the office, followed from the order's change of state."""
    state, holder = before
    if order.state == state:
        return
    if order.state == "delivered":
        owed[order.courier_id] += order.delivery_fee * PERCENT // 100
    elif order.state == "written_off":
        owed[holder] -= order.goods_total


def snapshot(database) -> list[tuple]:
    with database.readers() as session:
        return [
            (m.id, m.kind, m.payer, m.payee, m.amount, m.order_id, m.day, m.corrects_id)
            for m in session.scalars(select(Movement).order_by(Movement.id))
        ]


def check(database, order_id, couriers, owed, seen, clock) -> list[tuple]:
    now_rows = snapshot(database)
    assert now_rows[: len(seen)] == seen, "a movement was changed or removed"
    assert all(row[4] > 0 for row in now_rows)
    with database.readers() as session:
        order = session.get(Order, order_id)
        movements = ledger.order_movements(session, order.id)
        assert ledger.positions(movements) == expected_positions(session, order)
        every = session.scalars(select(Movement)).all()
        for courier_id in couriers:
            party = ledger.courier(courier_id)
            assert ledger.owed_to_office(every, party) == owed[courier_id]
            courier = session.get(Courier, courier_id)
            today = books.courier_day(session, courier, office_day(clock()))
            assert today.balance == owed[courier_id]
            held = sum(
                o.goods_total
                for o in session.scalars(select(Order).where(Order.goods_with_id == courier_id))
            )
            assert today.held_goods == held
    return now_rows


def expected_positions(session, order: Order) -> dict[str, int]:
    """What each party must hold, from the order's state alone."""
    goods, fee = order.goods_total, order.delivery_fee
    commission = fee * PERCENT // 100
    bought = order.goods_with_id is not None or order.state in ("delivered", "written_off")
    expected: dict[str, int] = defaultdict(int)
    if bought:
        lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        for line in lines:
            vendor_id = session.get(Item, line.item_id).vendor_id
            expected[ledger.trader(vendor_id)] += line.line_total
    if order.goods_with_id is not None:
        expected[ledger.courier(order.goods_with_id)] -= goods
    if order.state == "delivered":
        expected[ledger.customer(order.customer_id)] -= goods + fee
        expected[ledger.courier(order.courier_id)] += fee - commission
        expected[ledger.OFFICE] += commission
    if order.state == "written_off":
        expected[ledger.OFFICE] -= goods
    if order.state == "returned":
        assert all(line.returned_at is not None for line in order.lines)
    return {party: amount for party, amount in expected.items() if amount}
