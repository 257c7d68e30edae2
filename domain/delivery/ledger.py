"""The money ledger: every rupiah that moves because of a delivery, and between a courier
and the office.

Payment is cash on delivery. A courier pays each trader out of their own pocket at AMBIL,
and the customer pays the courier the goods and the delivery fee at the door; the office
earns a commission on the fee. Each movement names who paid (`payer`) and who was paid
(`payee`), in whole rupiah, and is written in the transaction of the change of state that
causes it. A movement is never changed or removed (the database refuses it): a mistake is
put right by a correction, the same kind the other way, naming the movement it corrects.

    kind             payer -> payee         when
    goods_paid       courier -> trader      AMBIL: each trader's lines
    goods_handed     courier -> courier     AMBIL of a failed order by another courier: the
                                            goods taken over from the one who held them
    customer_goods   customer -> courier    SELESAI: the goods
    delivery_fee     customer -> courier    SELESAI: the fee the courier earns
    commission       courier -> office      SELESAI: the office's share of the fee
    goods_returned   trader -> courier      a failed order's goods back to each trader
    write_off        office -> courier      the office carries a failed order's goods
    handover         courier <-> office     cash handed over, recorded by an admin

What a courier owes the office (their balance) is the commission, less what the office
carries, less the cash they handed over, plus cash the office handed them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.hours import office_day
from storage.models import Movement

OFFICE = "office"
KINDS = (
    "goods_paid",
    "goods_handed",
    "customer_goods",
    "delivery_fee",
    "commission",
    "goods_returned",
    "write_off",
    "handover",
)
# Between a courier and the office: what one owes the other (claims), and cash that settles it.
CLAIMS = ("commission", "write_off")
CASH = ("handover",)


def courier(courier_id: int) -> str:
    return f"courier:{courier_id}"


def trader(vendor_id: int) -> str:
    return f"trader:{vendor_id}"


def customer(customer_id: int) -> str:
    return f"customer:{customer_id}"


def commission_of(fee: int, percent: int) -> int:
    """The office's share of a delivery fee, rounded down to the rupiah (the courier's way)."""
    return fee * percent // 100


@dataclass(frozen=True)
class Entry:
    """A movement to write."""

    kind: str
    payer: str
    payee: str
    amount: int
    order_id: int | None = None
    recorded_by: int | None = None
    corrects: int | None = None
    note: str = ""


def record(session: Session, entries: Iterable[Entry], *, now: dt.datetime) -> int:
    """Write movements, in one INSERT; an entry of 0 rupiah is left out. Returns how many."""
    rows = []
    for entry in entries:
        if entry.kind not in KINDS:
            raise ValueError(f"unknown movement kind {entry.kind!r}")
        if entry.amount < 0 or entry.payer == entry.payee:
            raise ValueError(f"a movement is a positive amount between two parties: {entry}")
        if entry.amount == 0:
            continue
        rows.append(
            {
                "kind": entry.kind,
                "payer": entry.payer,
                "payee": entry.payee,
                "amount": entry.amount,
                "order_id": entry.order_id,
                "at": now,
                "day": office_day(now),
                "recorded_by_id": entry.recorded_by,
                "corrects_id": entry.corrects,
                "note": entry.note[:200],
            }
        )
    if rows:
        session.execute(insert(Movement), rows)
    return len(rows)


def correct(
    session: Session, movement: Movement, *, by: int | None, note: str, now: dt.datetime
) -> bool:
    """Undo a movement by a new one the other way; False when it was corrected already (or is
    itself a correction). `corrects_id` is unique: of two corrections at the same moment,
    the second fails on it and changes nothing."""
    if movement.corrects_id is not None:
        return False
    done = session.scalar(select(Movement.id).where(Movement.corrects_id == movement.id))
    if done is not None:
        return False
    entry = Entry(
        movement.kind,
        movement.payee,
        movement.payer,
        movement.amount,
        order_id=movement.order_id,
        recorded_by=by,
        corrects=movement.id,
        note=note,
    )
    try:
        with session.begin_nested():
            return bool(record(session, [entry], now=now))
    except IntegrityError:  # another correction of it won at this very moment
        return False


def paid_to_traders(session: Session, order_id: int) -> dict[int, int]:
    """What each trader (vendor id) was paid for the order's goods, net of returns."""
    net: dict[int, int] = defaultdict(int)
    for movement in order_movements(session, order_id):
        if movement.kind in ("goods_paid", "goods_returned"):
            for party, sign in ((movement.payee, 1), (movement.payer, -1)):
                if party.startswith("trader:"):
                    net[int(party.split(":", 1)[1])] += sign * movement.amount
    return {vendor_id: amount for vendor_id, amount in net.items() if amount > 0}


def order_movements(session: Session, order_id: int) -> Sequence[Movement]:
    """An order's movements, oldest first."""
    return session.scalars(
        select(Movement).where(Movement.order_id == order_id).order_by(Movement.id)
    ).all()


def positions(movements: Iterable[Movement]) -> dict[str, int]:
    """What each party has received less what it has paid (parties with 0 left out)."""
    net: dict[str, int] = defaultdict(int)
    for movement in movements:
        net[movement.payee] += movement.amount
        net[movement.payer] -= movement.amount
    return {party: amount for party, amount in net.items() if amount}


def owed_to_office(movements: Iterable[Movement], party: str) -> int:
    """What the courier `party` owes the office after these movements (negative: the office
    owes them)."""
    owed = 0
    for movement in movements:
        if OFFICE not in (movement.payer, movement.payee):
            continue
        if party not in (movement.payer, movement.payee):
            continue
        sign = 1 if movement.payer == party else -1
        if movement.kind in CLAIMS:
            owed += sign * movement.amount
        elif movement.kind in CASH:
            owed -= sign * movement.amount
    return owed
