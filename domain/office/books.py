"""The office's daily books: each courier's and each trader's day, read from the ledger, and
the hand-overs of cash between couriers and the office.

A day is the WITA calendar day (domain.hours.office_day). A courier's figures for a day are
what moved that day; their balance with the office is everything up to the end of it;
the goods they hold are what they hold now. The ledger's kinds are in
domain/delivery/ledger.py.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from domain.delivery import ledger
from domain.office import queries
from storage.models import Courier, Movement, Vendor


@dataclass(frozen=True)
class CourierDay:
    """One courier's day."""

    courier_id: int
    name: str
    phone: str
    day: dt.date
    deliveries: int
    failed: int
    paid_traders: int  # to traders, for goods
    paid_couriers: int  # to a courier whose goods of a failed delivery they took over
    collected: int  # from customers: the goods and the fees
    fees: int  # the delivery fees earned
    commission: int  # the office's share of those fees
    received_back: int  # from traders for returned goods, from a courier who took goods over
    written_off: int  # goods the office carries for them
    handed_over: int  # cash to the office (less cash from it)
    held_orders: int  # now: failed or undelivered orders whose goods they paid for
    held_goods: int
    balance: int  # what they owe the office at the end of the day (negative: it owes them)

    @property
    def quiet(self) -> bool:
        """Nothing moved, nothing held, nothing owed."""
        return not any(
            (self.deliveries, self.failed, self.paid_traders, self.paid_couriers, self.collected,
             self.received_back,
             self.written_off, self.handed_over, self.held_orders, self.balance)
        )  # fmt: skip


@dataclass(frozen=True)
class TraderDay:
    """One trader's day (several stalls of one phone together, for REKAP)."""

    name: str
    codes: str
    day: dt.date
    lines_sold: int
    received: int  # from couriers
    lines_returned: int
    returned: int  # given back to couriers for returned goods

    @property
    def quiet(self) -> bool:
        return not (self.lines_sold or self.received or self.lines_returned or self.returned)


def _got(movements: Iterable[Movement], party: str, *kinds: str) -> int:
    """What `party` received in movements of these kinds."""
    return sum(m.amount for m in movements if m.kind in kinds and m.payee == party)


def _paid(movements: Iterable[Movement], party: str, *kinds: str) -> int:
    """What `party` paid in movements of these kinds."""
    return sum(m.amount for m in movements if m.kind in kinds and m.payer == party)


def _net(movements: Sequence[Movement], party: str, *kinds: str) -> int:
    """What `party` received less what it paid, in movements of these kinds."""
    return _got(movements, party, *kinds) - _paid(movements, party, *kinds)


def courier_days(session: Session, couriers: Sequence[Courier], day: dt.date) -> list[CourierDay]:
    """The day of each of these couriers, in a fixed number of queries."""
    parties = [ledger.courier(courier.id) for courier in couriers]
    of_day = queries.movements_of_parties(session, parties, day=day)
    with_office = queries.movements_with_office(session, parties, until=day)
    failures = queries.failures_per_courier(session, day)
    held = queries.goods_held(session)
    days = []
    for courier, party in zip(couriers, parties, strict=True):
        mine = [m for m in of_day if party in (m.payer, m.payee)]
        delivered = {m.order_id for m in mine if m.kind == "customer_goods" and m.payee == party}
        held_orders = held.get(courier.id, [])
        days.append(
            CourierDay(
                courier_id=courier.id,
                name=courier.name,
                phone=courier.phone,
                day=day,
                deliveries=len(delivered),
                failed=failures.get(courier.id, 0),
                paid_traders=-_net(mine, party, "goods_paid"),
                paid_couriers=_paid(mine, party, "goods_handed"),
                collected=_net(mine, party, "customer_goods", "delivery_fee"),
                fees=_net(mine, party, "delivery_fee"),
                commission=-_net(mine, party, "commission"),
                received_back=_net(mine, party, "goods_returned")
                + _got(mine, party, "goods_handed"),
                written_off=_net(mine, party, "write_off"),
                handed_over=-_net(mine, party, "handover"),
                held_orders=len(held_orders),
                held_goods=sum(held_orders),
                balance=ledger.owed_to_office(
                    (m for m in with_office if party in (m.payer, m.payee)), party
                ),
            )
        )
    return days


def courier_day(session: Session, courier: Courier, day: dt.date) -> CourierDay:
    """One courier's day (their REKAP)."""
    return courier_days(session, [courier], day)[0]


def books_of_couriers(session: Session, day: dt.date) -> list[CourierDay]:
    """Every courier with something that day, goods in hand or a balance with the office."""
    days = courier_days(session, queries.all_couriers(session), day)
    return [courier_day for courier_day in days if not courier_day.quiet]


def trader_days(
    session: Session, stalls: Sequence[Sequence[Vendor]], day: dt.date
) -> list[TraderDay]:
    """The day of each group of stalls (a trader's stalls together), in three queries
    however many traders: the day's movements, and the lines of the orders they name."""
    parties = [ledger.trader(vendor.id) for group in stalls for vendor in group]
    of_day = queries.movements_of_parties(session, parties, day=day)
    lines = queries.lines_per_vendor(session, {m.order_id for m in of_day})
    days = []
    for group in stalls:
        sold = returned_lines = received = returned = 0
        for vendor in group:
            party = ledger.trader(vendor.id)
            mine = [m for m in of_day if party in (m.payer, m.payee)]
            received += _net(mine, party, "goods_paid")
            returned += -_net(mine, party, "goods_returned")
            paid_for = {m.order_id for m in mine if m.kind == "goods_paid" and m.payee == party}
            back = {m.order_id for m in mine if m.kind == "goods_returned" and m.payer == party}
            sold += sum(lines.get((vendor.id, order_id), 0) for order_id in paid_for)
            returned_lines += sum(lines.get((vendor.id, order_id), 0) for order_id in back)
        days.append(
            TraderDay(
                name=" / ".join(dict.fromkeys(vendor.name for vendor in group)),
                codes=", ".join(vendor.code for vendor in group),
                day=day,
                lines_sold=sold,
                received=received,
                lines_returned=returned_lines,
                returned=returned,
            )
        )
    return days


def trader_day(session: Session, vendors: Sequence[Vendor], day: dt.date) -> TraderDay:
    """The day of a trader's stalls together (their REKAP)."""
    return trader_days(session, [vendors], day)[0]


def books_of_traders(session: Session, day: dt.date) -> list[TraderDay]:
    """Every trader (stall) with something that day."""
    vendors = queries.vendors_paid_on(session, day)
    return [one for one in trader_days(session, [[v] for v in vendors], day) if not one.quiet]


# ---------------------------------------------------------------- hand-overs


class BadHandover(ValueError):
    """A hand-over that cannot be recorded (no such courier, no amount)."""


def record_handover(
    session: Session,
    courier: Courier,
    amount: int,
    *,
    to_office: bool,
    staff_id: int | None,
    note: str,
    now: dt.datetime,
) -> None:
    """Cash handed from a courier to the office (or from the office to a courier), recorded by
    an admin: one movement, however many days it settles."""
    if amount <= 0:
        raise BadHandover("amount")
    party = ledger.courier(courier.id)
    payer, payee = (party, ledger.OFFICE) if to_office else (ledger.OFFICE, party)
    entry = ledger.Entry("handover", payer, payee, amount, recorded_by=staff_id, note=note)
    ledger.record(session, [entry], now=now)


def correct_handover(
    session: Session, movement_id: int, *, staff_id: int | None, note: str, now: dt.datetime
) -> bool:
    """Undo a hand-over recorded by mistake, by a movement the other way; False when there is
    no such hand-over, or it was corrected already."""
    movement = session.get(Movement, movement_id)
    if movement is None or movement.kind != "handover":
        return False
    return ledger.correct(session, movement, by=staff_id, note=note, now=now)


@dataclass(frozen=True)
class Handover:
    """A hand-over as the books page lists it."""

    movement_id: int
    courier: str
    to_office: bool
    amount: int
    at: dt.datetime
    recorded_by: str
    note: str
    correction: bool  # it undoes another
    corrected: bool  # another undoes it


def handovers_on(session: Session, day: dt.date) -> list[Handover]:
    """The hand-overs recorded on a day, oldest first."""
    rows = queries.handovers_on(session, day)
    corrected = queries.corrected_ids(session, [movement.id for movement, _ in rows])
    couriers = defaultdict(
        str, {ledger.courier(c.id): c.name for c in queries.all_couriers(session)}
    )
    return [
        Handover(
            movement_id=movement.id,
            courier=couriers[movement.payer if movement.payee == ledger.OFFICE else movement.payee],
            to_office=movement.payee == ledger.OFFICE,
            amount=movement.amount,
            at=movement.at,
            recorded_by=username or "-",
            note=movement.note,
            correction=movement.corrects_id is not None,
            corrected=movement.id in corrected,
        )
        for movement, username in rows
    ]


# ---------------------------------------------------------------- the day's money, at a glance


@dataclass(frozen=True)
class DayMoney:
    """The money of a day, office-wide."""

    deliveries: int
    paid_to_traders: int
    collected: int
    fees: int
    commission: int
    returned: int
    written_off: int
    failed: int
    held_goods: int  # now


def day_money(session: Session, day: dt.date) -> DayMoney:
    """What moved on a day, all couriers and traders together."""
    totals = queries.totals_by_kind(session, day)
    held = queries.goods_held(session)
    return DayMoney(
        deliveries=queries.deliveries_on(session, day),
        paid_to_traders=totals.get("goods_paid", 0),
        collected=totals.get("customer_goods", 0) + totals.get("delivery_fee", 0),
        fees=totals.get("delivery_fee", 0),
        commission=totals.get("commission", 0),
        returned=totals.get("goods_returned", 0),
        written_off=totals.get("write_off", 0),
        failed=sum(queries.failures_per_courier(session, day).values()),
        held_goods=sum(sum(amounts) for amounts in held.values()),
    )


@dataclass(frozen=True)
class SmsSpend:
    """SMS segments one provider sent in a stretch of time, and what they cost."""

    provider: str
    segments: int
    rupiah: int | None  # None: SMS_PRICE_RUPIAH does not price this provider


def sms_spend(
    session: Session, start: dt.datetime, end: dt.datetime, prices: dict[str, int]
) -> list[SmsSpend]:
    """Segments sent in [start, end) per provider, times each provider's price."""
    return [
        SmsSpend(provider, segments, segments * prices[provider] if provider in prices else None)
        for provider, segments in queries.segments_sent(session, start, end)
    ]
