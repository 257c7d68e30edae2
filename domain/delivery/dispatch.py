"""Dispatch: an order offered to couriers, taken by the first who answers YA, carried to the door.

    placed -> offered -> assigned -> picked_up -> delivered      (offer_order, accept,
                 |  ^         |                                   pick_up, deliver)
                 |  +---------+ a courier's BATAL (release): offered to the others again
                 v
           unassigned   nobody took it in two rounds (the worker's sweep, give_up)

Every change of state is one conditional UPDATE (`... WHERE state = 'offered'`), never
read-then-write, so two couriers answering at the same moment cannot both win, and a
customer's BATAL and a courier's YA cannot both succeed. The messages a change causes are
written to the outbox in the same transaction. Each verb returns what to answer the person
who asked (a `Text`), or None when the outbox already carries the answer.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from domain.delivery import ledger, queries
from domain.delivery.policy import DispatchPolicy
from domain.hours import next_opening, office_day
from domain.messaging.outbox import enqueue_many, enqueue_sms
from domain.phones import friendly_phone, mask_phone
from storage.models import (
    REOPENABLE_OFFER_STATES,
    SAID_NO_OFFER_STATES,
    Courier,
    DeliveryFailure,
    Offer,
    Order,
    OrderLine,
    Vendor,
)
from telemetry.metrics import (
    OFFERS_ACCEPTED,
    OFFERS_EXPIRED,
    OFFERS_SENT,
    TAKEN_AFTER_SECONDS,
    on_commit,
)
from voice_prompts import Digits, Money, Text, When, default_catalog

log = logging.getLogger(__name__)

LAST_ROUND = 2  # round 1: the order's market; round 2: every market; then unassigned
AREA_LIMIT = 32  # characters of an address area in an offer (which stays one SMS)


# ---------------------------------------------------------------- offers


def offer_order(session: Session, order: Order, *, now: dt.datetime, round_: int = 1) -> int | None:
    """Offer `order` to the couriers who may take it now; returns how many got the offer.

    Round 1 goes to the free couriers of the order's market, round 2 (or round 1 when that
    market has none) to those of every market. The order becomes `offered` and the offer
    SMS are written in this transaction; the open offers of an earlier round expire. With
    nobody to ask it returns 0 and changes nothing: the caller may give up on it
    (`give_up`). None when the order moved on since it was read (another worker offered it,
    staff cancelled it): nothing to do, and above all no giving up.
    """
    order = queries.order_for_dispatch(session, order.id) or order
    seen_state, seen_round = order.state, order.offer_round
    leave_out = _never_offered_to(session, order)
    couriers: Sequence[Courier] = ()
    for this_round in range(round_, LAST_ROUND + 1):
        market_id = order.market_id if this_round == 1 else None
        couriers = queries.free_couriers(session, market_id=market_id, leave_out=leave_out)
        if couriers:
            round_ = this_round
            break
    if not couriers:
        return 0
    moved = move_order(
        session,
        order,
        seen_state,
        "offered",
        Order.offer_round == seen_round,
        Order.offer_round < round_,
        offer_round=round_,
        offered_at=now,
    )
    if not moved:
        return None  # someone else moved the order on meanwhile (a second worker, a cancel)
    _close_offers(session, order, "expired", now)
    sent = _send_offers(session, [(order, round_, courier) for courier in couriers], now)
    log.info("order %s offered to %d couriers (round %d)", order.number, sent, round_)
    # How many were asked: a courier who has answered this round already (taken it and
    # had it taken back, say) is not asked again, and is not counted.
    return sent


def offer_current_orders(session: Session, courier: Courier, *, now: dt.datetime) -> int:
    """Offer a courier who has just become free the orders still looking for a courier."""
    if queries.courier_job(session, courier.id) is not None:
        return 0
    if not queries.free_couriers(session, market_id=courier.market_id, only=courier.id):
        return 0  # resting, or the number sent STOP
    orders = [
        order
        for order in queries.current_offers_for(session, courier)
        if order.customer.phone != courier.phone  # a courier's own shopping is not offered
    ]
    return _send_offers(session, [(order, order.offer_round, courier) for order in orders], now)


def _never_offered_to(session: Session, order: Order) -> list[int]:
    """Couriers who said no to this order, and the customer if they are a courier."""
    leave_out = queries.couriers_who_said_no(session, order.id)
    own = queries.courier_by_phone(session, order.customer.phone)
    if own is not None:
        leave_out.append(own.id)  # a courier's own shopping is not offered to them
    return leave_out


def _send_offers(
    session: Session, wanted: Sequence[tuple[Order, int, Courier]], now: dt.datetime
) -> int:
    """Offers of orders to couriers (each with its round) and their SMS, in a constant number
    of statements however many: one read of the offers there are, one INSERT of the new
    ones, one UPDATE reopening closed ones, one look-up of opt-outs, one INSERT of the SMS.

    Never to a courier who has it open already or said no to the order (in any round);
    returns how many offers went out.
    """
    if not wanted:
        return 0
    existing: dict[tuple[int, int], list[Offer]] = {}
    for offer in _offers_there_are(session, wanted):
        existing.setdefault((offer.order_id, offer.courier_id), []).append(offer)
    fresh, closed = [], {}
    for order, round_, courier in wanted:
        offers = existing.get((order.id, courier.id), [])
        if any(offer.state in SAID_NO_OFFER_STATES for offer in offers):
            continue
        this_round = next((offer for offer in offers if offer.round == round_), None)
        if this_round is None:
            fresh.append((order, round_, courier))
        elif this_round.state in REOPENABLE_OFFER_STATES:
            closed[this_round.id] = (order, courier)
    inserted = queries.insert_offers(
        session,
        [
            {"order_id": o.id, "courier_id": c.id, "round": r, "created_at": now}
            for o, r, c in fresh
        ],
    )
    reopened = queries.reopen_offers(session, list(closed), now)
    told = [(o, c) for o, _, c in fresh if (o.id, c.id) in inserted]
    told += [closed[offer_id] for offer_id in reopened]
    bodies: dict[tuple[int, str], str] = {}
    for order, courier in told:
        if (order.id, courier.language) not in bodies:
            bodies[order.id, courier.language] = _offer_body(order, courier.language)
    enqueue_many(
        session,
        [(c.phone, bodies[o.id, c.language], o) for o, c in told],
        kind="offer",
        now=now,
    )
    if told:
        on_commit(session, lambda: OFFERS_SENT.inc(len(told)))
    return len(told)


def _offers_there_are(
    session: Session, wanted: Sequence[tuple[Order, int, Courier]]
) -> Sequence[Offer]:
    """The offers made already of what `wanted` offers: one order to many couriers (its
    offers), or many orders to one courier (theirs); one query either way."""
    order_ids = list(dict.fromkeys(order.id for order, _, _ in wanted))
    courier_ids = {courier.id for _, _, courier in wanted}
    if len(courier_ids) == 1:
        return queries.offers_of_courier(session, courier_ids.pop(), order_ids)
    assert len(order_ids) == 1, "offers go to one order's couriers, or one courier's orders"
    return queries.offers_of_order(session, order_ids[0])


def _offer_body(order: Order, lang: str) -> str:
    """The offer SMS of an order, in one language."""
    return _render(
        lang,
        "dispatch.offer",
        number=order.number,
        market=order.market.name,
        area=address_area(order.delivery_address) or _render(lang, "dispatch.area_after_yes"),
        count=len(order.lines),
        goods=Money(order.goods_total),
        fee=Money(order.delivery_fee),
    )


def withdraw_offers(session: Session, order: Order, *, now: dt.datetime) -> None:
    """The order was cancelled: its open offers can no longer be taken."""
    _close_offers(session, order, "withdrawn", now)


def _close_offers(session: Session, order: Order, state: str, now: dt.datetime) -> list[Offer]:
    """Close the order's offers still open (`taken`, `expired`, `withdrawn`), in one
    conditional UPDATE; returns those it closed (not one another request closed first)."""
    closed = (
        session.execute(
            update(Offer)
            .where(Offer.order_id == order.id, Offer.state == "open")
            .values(state=state, answered_at=now)
            .returning(Offer.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    if state == "expired" and closed:
        on_commit(session, lambda: OFFERS_EXPIRED.inc(len(closed)))
    return list(queries.offers_by_id(session, closed)) if closed else []


def _move_offer(
    session: Session,
    where: Sequence[ColumnElement[bool]],
    before: tuple[str, ...],
    **values: object,
) -> bool:
    """One conditional UPDATE of an offer: from `before` to `values`; False if it had moved."""
    return bool(
        session.execute(
            update(Offer)
            .where(*where, Offer.state.in_(before))
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def _move_courier_offer(
    session: Session, order: Order, courier: Courier, before: str, after: str, now: dt.datetime
) -> bool:
    """The offer of `order` to `courier` from `before` to `after` (accepted, released)."""
    mine = [Offer.order_id == order.id, Offer.courier_id == courier.id]
    return _move_offer(session, mine, (before,), state=after, answered_at=now)


# ---------------------------------------------------------------- a courier's answers


def accept(session: Session, courier: Courier, number: str, *, now: dt.datetime) -> Text | None:
    """`YA <nomor>`: the first valid accept wins the order; the others are told it is taken.

    None when the answer is in the outbox already: the winner's job sheet (written with the
    assignment, so that no provider's own handling of `YES` can swallow it), or the notice
    that another courier took the order.
    """
    offer = queries.courier_offer(session, courier.id, number)
    if offer is None:
        return Text.of("dispatch.reply.not_offered", number=number)
    order = offer.order
    if offer.state == "declined":
        return Text.of("dispatch.reply.declined_before", number=number)
    if offer.state == "released":
        return Text.of("dispatch.reply.no_longer_open", number=number)
    job = queries.courier_job(session, courier.id)
    if job is not None and job.id != order.id:
        return Text.of("dispatch.reply.busy", job=job.number)
    if offer.state == "accepted" and order.courier_id == courier.id:
        return Text.of("dispatch.reply.yours_already", number=number)
    if offer.state != "open":
        return _why_not_open(session, courier, order, offer)
    try:
        with session.begin_nested():
            won = move_order(
                session,
                order,
                "offered",
                "assigned",
                Order.offer_round == offer.round,
                courier_id=courier.id,
                assigned_at=now,
            )
    except IntegrityError:  # the same courier won another order at this very moment
        session.expire_all()
        job = queries.courier_job(session, courier.id)
        return Text.of("dispatch.reply.busy", job=job.number if job else "-")
    session.expire_all()
    if not won:
        return _why_not_open(session, courier, order, offer)
    _assigned(session, order.id, courier, now)
    return None


def _why_not_open(session: Session, courier: Courier, order: Order, offer: Offer) -> Text | None:
    """Why an offer can no longer be taken (None: the notice is still on its way to them)."""
    if order.state in ("assigned", "picked_up", "delivered"):
        if queries.unsent_notice(session, to=courier.phone, order_id=order.id, kind="offer"):
            return None  # "taken by another courier" is in the outbox for them already
        return Text.of("dispatch.taken", number=order.number)
    if order.state == "cancelled":
        return Text.of("dispatch.reply.cancelled", number=order.number)
    return Text.of("dispatch.reply.expired", number=order.number)


def _assigned(
    session: Session, order_id: int, courier: Courier, now: dt.datetime, *, by_hand: bool = False
) -> None:
    """The winner gets the job sheet; the other couriers, the customer and the traders are told.
    `by_hand`: staff gave it (never an offer accepted, even to a courier who had one open)."""
    order = queries.order_for_dispatch(session, order_id)
    assert order is not None
    if _move_courier_offer(session, order, courier, "open", "accepted", now) and not by_hand:
        waited = now - (queries.first_offered_at(session, order_id) or order.placed_at)
        on_commit(session, OFFERS_ACCEPTED.inc)
        on_commit(session, lambda: TAKEN_AFTER_SECONDS.observe(max(0.0, waited.total_seconds())))
    taken = {}  # one text a language, one INSERT for every courier who had the offer
    told = []
    for offer in _close_offers(session, order, "taken", now):
        lang = offer.courier.language
        if lang not in taken:
            taken[lang] = _render(lang, "dispatch.taken", number=order.number)
        told.append((offer.courier.phone, taken[lang], order))
    enqueue_many(session, told, kind="offer", now=now)
    market = order.market
    opens = next_opening(market.opens_at, market.closes_at, market.timezone, now)
    if order.goods_with_id:  # the goods are bought: nobody shops
        key, when = "dispatch.customer.assigned_again", {}
    elif opens is not None:  # given by hand while the market is closed: nobody shops yet
        key, when = "dispatch.customer.assigned_later", {"when": When(opens, market.timezone)}
    else:
        key, when = "dispatch.customer.assigned", {}
    _tell_customer(
        session, order, key, now, courier=courier.name, phone=friendly_phone(courier.phone), **when
    )
    if order.goods_with_id is None:  # else the goods are bought: a courier has them
        _tell_traders(session, order, "dispatch.trader.prepare", now, courier=courier.name)
    log.info("order %s taken by courier %s", order.number, mask_phone(courier.phone))
    sheet = default_catalog().render(
        job_sheet(session, order, courier.language, courier.id), courier.language
    )
    enqueue_sms(session, to=courier.phone, body=sheet, kind="order_update", order=order, now=now)


def job_sheet(session: Session, order: Order, lang: str, courier_id: int | None = None) -> Text:
    """Everything the courier needs for the job, as one message (in as few parts as it takes).

    For a failed delivery offered again, the goods are with the courier who had it: the
    sheet says whom to take them from, and what to pay them.
    """
    if order.delivery_address:
        where = Text.of("dispatch.job.address", address=order.delivery_address)
    else:
        where = Text.of("dispatch.job.recording", url=order.delivery_address_recording_url or "-")
    holder = order.goods_with
    own = holder is not None and holder.id == courier_id  # the goods they could not deliver
    if holder is not None:
        stalls = _render(
            lang,
            "dispatch.job.from_courier",
            courier=holder.name,
            phone=friendly_phone(holder.phone),
        )
    else:
        stalls = "; ".join(
            _lines_text(lang, "dispatch.job.stall", lines, trader=vendor.name, stall=vendor.code)
            for vendor, lines in _lines_by_vendor(session, order)
        )
    if own:
        key = "dispatch.job.sheet_own"
    elif holder is not None:
        key = "dispatch.job.sheet_taken_over"
    else:
        key = "dispatch.job.sheet"
    return Text.of(
        key,
        number=order.number,
        name=order.delivery_name or order.customer.name or Text.of("dispatch.job.no_name"),
        phone=friendly_phone(order.customer.phone),
        where=where,
        stalls=stalls,
        goods=Money(order.goods_total),
        total=Money(order.total),
    )


def decline(session: Session, courier: Courier, number: str, *, now: dt.datetime) -> Text:
    """`TOLAK <nomor>`: this courier is not asked about the order again."""
    offer = queries.courier_offer(session, courier.id, number)
    if offer is None:
        return Text.of("dispatch.reply.not_offered", number=number)
    if not _move_offer(
        session, [Offer.id == offer.id], ("open",), state="declined", answered_at=now
    ):
        return Text.of("dispatch.reply.no_longer_open", number=number)
    order = offer.order
    if (
        order.state == "offered"
        and order.offer_round < LAST_ROUND
        and not queries.offers_of_order(session, order.id, states=("open",))
    ):  # every courier of the market said no: every market now, not in five minutes
        offer_order(session, order, now=now, round_=LAST_ROUND)
    return Text.of("dispatch.reply.declined", number=number)


@dataclass(frozen=True)
class _Progress:
    """One step of a job the courier reports: AMBIL or SELESAI."""

    before: str
    after: str
    stamp: str  # the order's column that records when
    customer_text: str
    reply_text: str
    too_soon_or_late: dict[str, str]  # the order's state -> what to tell the courier


PICK_UP = _Progress(
    "assigned",
    "picked_up",
    "picked_up_at",
    "dispatch.customer.picked_up",
    "dispatch.reply.picked_up",
    {"picked_up": "dispatch.reply.picked_up_already"},
)
DELIVER = _Progress(
    "picked_up",
    "delivered",
    "delivered_at",
    "dispatch.customer.delivered",
    "dispatch.reply.delivered",
    {"assigned": "dispatch.reply.pick_up_first"},
)


def pick_up(session: Session, courier: Courier, number: str | None, *, now: dt.datetime) -> Text:
    """`AMBIL <nomor>`: the courier has the goods; the customer is told they are on the way.

    The courier paid each trader for their lines (or, for a failed delivery taken over,
    the courier who held the goods): written in the ledger with the change.
    """
    order, reply, holder = _progress(
        session, courier, number, PICK_UP, now, goods_with_id=courier.id
    )
    if order is not None:
        _paid_for_goods(session, order, courier, holder, now)
    return reply


def deliver(
    session: Session,
    courier: Courier,
    number: str | None,
    *,
    now: dt.datetime,
    commission_percent: int = 0,
) -> Text:
    """`SELESAI <nomor>`: delivered and paid; the courier is free for the next offer.

    The customer paid the courier the goods and the fee; the office's commission on the fee
    is written with it.
    """
    order, reply, _ = _progress(session, courier, number, DELIVER, now, goods_with_id=None)
    if order is not None:
        _paid_at_the_door(session, order, courier, commission_percent, now)
        offer_current_orders(session, courier, now=now)
    return reply


def fail(
    session: Session,
    courier: Courier,
    number: str | None,
    reason: str,
    *,
    now: dt.datetime,
    policy: DispatchPolicy,
) -> Text:
    """`GAGAL <nomor> <alasan>`: picked up, not delivered (nobody home, refused, no such
    address). The order waits for the call center as `failed`, the goods with the courier;
    the customer and the call center are told, and the courier is free for other offers."""
    order, why_not = _own_job(session, courier, number)
    if order is None:
        return why_not
    if order.state == "assigned":
        return Text.of("dispatch.reply.fail_before_pickup", number=order.number)
    reason = " ".join(reason.split())[:FAILURE_REASON_LIMIT] or "-"
    mine = Order.courier_id == courier.id
    # The goods are with this courier (also for an order bought before the ledger existed,
    # or by a process still running the old code during an upgrade: it named no holder).
    holder = func.coalesce(Order.goods_with_id, courier.id)
    if not move_order(session, order, "picked_up", "failed", mine, goods_with_id=holder):
        return Text.of("dispatch.reply.not_yours", number=order.number)
    session.add(
        DeliveryFailure(
            order_id=order.id, courier_id=courier.id, reason=reason, at=now, day=office_day(now)
        )
    )
    _tell_call_center(
        session, order, policy, "dispatch.call_center_failed", now, courier=courier.name,
        reason=reason,
    )  # fmt: skip
    if policy.call_center_number:
        call_center = friendly_phone(policy.call_center_number)
        _tell_customer(
            session, order, "dispatch.customer.failed_call", now, call_center=call_center
        )
    else:
        _tell_customer(session, order, "dispatch.customer.failed", now)
    log.info("order %s failed at the door (courier %s)", order.number, mask_phone(courier.phone))
    offer_current_orders(session, courier, now=now)
    return Text.of("dispatch.reply.failed", number=order.number, goods=Money(order.goods_total))


def _progress(
    session: Session,
    courier: Courier,
    number: str | None,
    step: _Progress,
    now: dt.datetime,
    **values: object,
) -> tuple[Order | None, Text, int | None]:
    """Move the courier's job one step (writing `values` with it); the order when it moved,
    what to tell the courier, and who had the goods before the step."""
    order, why_not = _own_job(session, courier, number)
    if order is None:
        return None, why_not, None
    if order.state in step.too_soon_or_late:
        return None, Text.of(step.too_soon_or_late[order.state], number=order.number), None
    # What was read must still hold when it is written: the job is this courier's, and the
    # goods are where they were (only staff move them, and only with the state).
    holder = order.goods_with_id
    mine = Order.courier_id == courier.id
    where = Order.goods_with_id.is_(None) if holder is None else Order.goods_with_id == holder
    moved = move_order(
        session, order, step.before, step.after, mine, where, **{step.stamp: now}, **values
    )
    if not moved:
        return None, Text.of("dispatch.reply.not_yours", number=order.number), None
    total = Money(order.total)
    _tell_customer(
        session,
        order,
        step.customer_text,
        now,
        courier=courier.name,
        phone=friendly_phone(courier.phone),
        total=total,
    )
    return order, Text.of(step.reply_text, number=order.number, total=total), holder


def _paid_for_goods(
    session: Session, order: Order, courier: Courier, holder: int | None, now: dt.datetime
) -> None:
    """AMBIL: whom the courier paid for the goods (the traders, or `holder`, the courier who
    had them)."""
    party = ledger.courier(courier.id)
    if holder is None:
        entries = [
            ledger.Entry(
                "goods_paid",
                party,
                ledger.trader(vendor.id),
                sum(line.line_total for line in lines),
                order_id=order.id,
            )
            for vendor, lines in _lines_by_vendor(session, order)
        ]
    elif holder != courier.id:
        entries = [
            ledger.Entry(
                "goods_handed", party, ledger.courier(holder), order.goods_total, order_id=order.id
            )
        ]
    else:
        entries = []  # the courier who failed to deliver it took it again: nothing to pay
    ledger.record(session, entries, now=now)


def _paid_at_the_door(
    session: Session, order: Order, courier: Courier, commission_percent: int, now: dt.datetime
) -> None:
    """SELESAI: the customer paid the goods and the fee; the office's commission on it."""
    party = ledger.courier(courier.id)
    payer = ledger.customer(order.customer_id)
    ledger.record(
        session,
        [
            ledger.Entry("customer_goods", payer, party, order.goods_total, order_id=order.id),
            ledger.Entry("delivery_fee", payer, party, order.delivery_fee, order_id=order.id),
            ledger.Entry(
                "commission",
                party,
                ledger.OFFICE,
                ledger.commission_of(order.delivery_fee, commission_percent),
                order_id=order.id,
            ),
        ],
        now=now,
    )


def release(session: Session, courier: Courier, number: str, *, now: dt.datetime) -> Text:
    """`BATAL <nomor>` from the courier: the order goes back to offers, without this courier."""
    order, why_not = _own_job(session, courier, number)
    if order is None:
        return why_not
    if order.state == "picked_up":
        return Text.of("dispatch.reply.cannot_release", number=order.number)
    mine = Order.courier_id == courier.id  # a stale BATAL never releases another's job
    if not move_order(session, order, "assigned", "placed", mine, courier_id=None, offer_round=0):
        return Text.of("dispatch.reply.not_yours", number=order.number)
    _move_courier_offer(session, order, courier, "accepted", "released", now)
    _tell_customer(session, order, "dispatch.customer.released", now)
    if order.goods_with_id is None:
        # The traders were told this courier comes: they hear that they will not.
        _tell_traders(session, order, "dispatch.trader.released", now, courier=courier.name)
    offer_order(session, order, now=now)  # nobody free: the sweep gives up on it
    return Text.of("dispatch.reply.released", number=order.number)


# ---------------------------------------------------------------- the call center's hand

# What the call center may do to an order: give it to a courier, offer it again, cancel it
# (never one whose goods a courier has bought: that one is delivered, returned or written
# off). A failed delivery is delivered again, returned or written off.
HAND_ASSIGNABLE = ("placed", "offered", "unassigned")
STAFF_CANCELLABLE = ("placed", "offered", "unassigned", "assigned")
FAILURE_REASON_LIMIT = 120


def assign_by_hand(
    session: Session, order: Order, courier: Courier, *, now: dt.datetime
) -> str | None:
    """The call center gives the order to a courier; None, or why not (`courier_busy`,
    `order_moved`). The courier gets the job sheet; everyone else is told as for a YA.

    A failed delivery given to the courier who has its goods goes straight back on the road
    (`picked_up`): they are told to deliver it again."""
    if queries.courier_job(session, courier.id) is not None:
        return "courier_busy"
    again = order.state == "failed"
    before = ("failed",) if again else HAND_ASSIGNABLE
    on_the_road = again and order.goods_with_id == courier.id
    values: dict[str, object] = {"courier_id": courier.id, "assigned_at": now}
    if on_the_road:
        values["picked_up_at"] = now
    try:
        with session.begin_nested():
            moved = move_order(
                session, order, before, "picked_up" if on_the_road else "assigned", **values
            )
    except IntegrityError:  # the courier took another order at this very moment
        return "courier_busy"
    if not moved:
        return "order_moved"
    if on_the_road:
        _deliver_again(session, order, courier, now)
    else:
        _assigned(session, order.id, courier, now, by_hand=True)
    return None


def _deliver_again(session: Session, order: Order, courier: Courier, now: dt.datetime) -> None:
    """The courier who has the goods of a failed delivery takes them to the door again."""
    body = default_catalog().render(
        Text.of(
            "dispatch.job.again",
            number=order.number,
            name=order.delivery_name or order.customer.name or Text.of("dispatch.job.no_name"),
            phone=friendly_phone(order.customer.phone),
            where=order.delivery_address or order.delivery_address_recording_url or "-",
            total=Money(order.total),
        ),
        courier.language,
    )
    enqueue_sms(session, to=courier.phone, body=body, kind="order_update", order=order, now=now)
    _tell_customer(
        session,
        order,
        "dispatch.customer.again",
        now,
        courier=courier.name,
        phone=friendly_phone(courier.phone),
        total=Money(order.total),
    )
    log.info("order %s on its way again (courier %s)", order.number, mask_phone(courier.phone))


def reoffer(session: Session, order: Order, *, now: dt.datetime) -> int:
    """Offer the order again from round 1; how many couriers got it (0: nobody free, and
    the order is left as it was). A failed delivery is offered like a new order: whoever
    takes it takes the goods over from the courier who has them."""
    before = ("failed",) if order.state == "failed" else HAND_ASSIGNABLE
    with session.begin_nested() as savepoint:
        if not move_order(session, order, before, "placed", courier_id=None, offer_round=0):
            savepoint.rollback()
            return 0
        offered = offer_order(session, order, now=now) or 0
        if not offered:
            savepoint.rollback()
    session.refresh(order)
    return offered


def cancel_by_staff(session: Session, order: Order, *, now: dt.datetime) -> bool:
    """The call center cancels an order not yet bought; the customer (and the courier who
    had it) are told. False when it was past that."""
    not_bought = Order.goods_with_id.is_(None)
    if not move_order(session, order, STAFF_CANCELLABLE, "cancelled", not_bought):
        return False
    # Who had the job is the row as the UPDATE left it (move_order reads it again, under the
    # row's lock), not what was read before: a courier's YA may have won the order in
    # between, and they must hear of the cancel.
    _close_offers(session, order, "withdrawn", now)
    _tell_customer(session, order, "dispatch.customer.cancelled_by_staff", now)
    courier = session.get(Courier, order.courier_id) if order.courier_id is not None else None
    if courier is not None:
        body = _render(courier.language, "dispatch.job_cancelled", number=order.number)
        enqueue_sms(session, to=courier.phone, body=body, kind="order_update", order=order, now=now)
        _tell_traders(session, order, "dispatch.trader.cancelled", now)
    return True


def return_goods(session: Session, order: Order, *, now: dt.datetime, staff_id: int | None) -> bool:
    """A failed delivery's goods go back to the traders: each trader's lines are marked
    returned and each trader gives back what they were paid; the traders, the courier and
    the customer are told. False when the order was not (or no longer) failed."""
    holder = _goods_holder(session, order)
    if holder is None or not _end_failure(session, order, "returned", holder):
        return False
    # Back to whoever was paid (the ledger says who), whoever sells the item today.
    paid = ledger.paid_to_traders(session, order.id)
    session.execute(
        update(OrderLine)
        .where(OrderLine.order_id == order.id)
        .values(returned_at=now)
        .execution_options(synchronize_session=False)
    )
    ledger.record(
        session,
        [
            ledger.Entry(
                "goods_returned",
                ledger.trader(vendor_id),
                ledger.courier(holder.id),
                amount,
                order_id=order.id,
                recorded_by=staff_id,
            )
            for vendor_id, amount in paid.items()
        ],
        now=now,
    )
    lines_of = {vendor.id: lines for vendor, lines in _lines_by_vendor(session, order)}
    traders = queries.vendors_by_id(session, list(paid))
    languages = queries.languages_of(session, [v.phone for v in traders.values() if v.phone])
    stalls, told = [], []
    for vendor_id, amount in paid.items():
        vendor = traders[vendor_id]
        lines = lines_of.get(vendor_id, [])
        stalls.append(
            _render(holder.language, "dispatch.job.stall", trader=vendor.name, stall=vendor.code,
                    lines=_line_list(lines, holder.language) or "-", amount=Money(amount))
        )  # fmt: skip
        if vendor.phone:
            lang = languages.get(vendor.phone) or "id"
            body = _render(lang, "dispatch.trader.returned", number=order.number,
                           courier=holder.name, lines=_line_list(lines, lang) or "-",
                           amount=Money(amount))  # fmt: skip
            told.append((vendor.phone, body, order))
    enqueue_many(session, told, kind="order_update", now=now)
    body = _render(
        holder.language, "dispatch.job.return", number=order.number, stalls="; ".join(stalls)
    )
    enqueue_sms(session, to=holder.phone, body=body, kind="order_update", order=order, now=now)
    _tell_customer(session, order, "dispatch.customer.closed", now)
    log.info("order %s: goods back to the traders", order.number)
    return True


def write_off(session: Session, order: Order, *, now: dt.datetime, staff_id: int | None) -> bool:
    """The office carries a failed delivery: it owes the courier who paid for the goods their
    price (settled at the next hand-over), and the goods are the office's. The courier and
    the customer are told. False when the order was not (or no longer) failed."""
    holder = _goods_holder(session, order)
    if holder is None or not _end_failure(session, order, "written_off", holder):
        return False
    entry = ledger.Entry(
        "write_off",
        ledger.OFFICE,
        ledger.courier(holder.id),
        order.goods_total,
        order_id=order.id,
        recorded_by=staff_id,
    )
    ledger.record(session, [entry], now=now)
    body = _render(
        holder.language,
        "dispatch.job.written_off",
        number=order.number,
        goods=Money(order.goods_total),
    )
    enqueue_sms(session, to=holder.phone, body=body, kind="order_update", order=order, now=now)
    _tell_customer(session, order, "dispatch.customer.closed", now)
    log.info("order %s written off by the office", order.number)
    return True


# A failed delivery offered or given again, before the next courier has the goods.
TAKEN_OVER_STATES = ("placed", "offered", "assigned", "unassigned")


def back_to_failed(session: Session, order: Order, *, now: dt.datetime) -> bool:
    """A failed delivery offered or given to another courier comes back to the call center
    (nobody takes it, or the courier does not come): `failed` again, the goods still with
    the courier who has them, its offers withdrawn; a courier who had the job is told.
    False when it was not such an order (or no longer)."""
    held = Order.goods_with_id.is_not(None)
    if not move_order(session, order, TAKEN_OVER_STATES, "failed", held):
        return False
    _close_offers(session, order, "withdrawn", now)
    courier = session.get(Courier, order.courier_id) if order.courier_id is not None else None
    if courier is not None:  # they had the job (the one who has the goods, or another)
        body = _render(courier.language, "dispatch.job_withdrawn", number=order.number)
        enqueue_sms(session, to=courier.phone, body=body, kind="order_update", order=order, now=now)
    log.info("order %s back with the call center", order.number)
    return True


def _goods_holder(session: Session, order: Order) -> Courier | None:
    """The courier who has a failed delivery's goods (None: not a failed delivery)."""
    if order.state != "failed" or order.goods_with_id is None:
        return None
    return session.get(Courier, order.goods_with_id)


def _end_failure(session: Session, order: Order, after: str, holder: Courier) -> bool:
    """A failed delivery ends (returned, written off) if it is still failed with the same
    holder: one conditional UPDATE; nobody has the goods afterwards."""
    same_holder = Order.goods_with_id == holder.id
    return move_order(session, order, "failed", after, same_holder, goods_with_id=None)


def set_available(session: Session, courier: Courier, available: bool, *, now: dt.datetime) -> int:
    """SIAP / ISTIRAHAT; a courier who becomes available is offered the open orders."""
    courier.available, courier.updated_at = available, now
    session.flush()
    return offer_current_orders(session, courier, now=now) if available else 0


def _own_job(session: Session, courier: Courier, number: str | None) -> tuple[Order | None, Text]:
    """The courier's job this command is about (their one job when no number is given).

    Returns the job, or None and what to tell the courier instead.
    """
    job = queries.courier_job(session, courier.id)
    if job is not None and number in (None, job.number):
        return job, Text.of("dispatch.reply.yours_already", number=job.number)
    if number is None:
        return None, Text.of("dispatch.reply.no_job")
    offer = queries.courier_offer(session, courier.id, number)
    if offer is not None and offer.order.courier_id == courier.id:  # delivered already
        state = Text.of(f"sms.state.{offer.order.state}")
        return None, Text.of("dispatch.reply.job_closed", number=number, state=state)
    return None, Text.of("dispatch.reply.not_yours", number=number)


def move_order(
    session: Session,
    order: Order,
    before: str | tuple[str, ...],
    after: str,
    *also: ColumnElement[bool],
    **values: object,
) -> bool:
    """Move the order from `before` (one state or several) to `after`: one conditional UPDATE.

    False when the order was no longer in `before` (or `also` did not hold): someone else
    moved it first. The order is read again either way.
    """
    states = (before,) if isinstance(before, str) else before
    moved = session.execute(
        update(Order)
        .where(Order.id == order.id, Order.state.in_(states), *also)
        .values(state=after, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(order)
    return bool(moved)


# ---------------------------------------------------------------- the sweep


@dataclass
class SweepCount:
    """What one sweep did."""

    offered: int = 0
    reoffered: int = 0
    unassigned: int = 0


def sweep(
    unit_of_work: Callable[[], AbstractContextManager[Session]],
    *,
    now: dt.datetime,
    policy: DispatchPolicy,
) -> SweepCount:
    """Offer orders whose market has opened; re-offer or give up on offers nobody took.

    Each order is one transaction: a failure with one is logged and the sweep goes on.
    """
    count = SweepCount()
    with unit_of_work() as session:
        due = queries.orders_to_offer(session, now)
        run_out = queries.offers_run_out(session, now - policy.offer_window)
    for order_id in due:
        _one_order(unit_of_work, order_id, lambda s, o: _first_offers(s, o, now, policy, count))
    for order_id in run_out:
        _one_order(unit_of_work, order_id, lambda s, o: _next_round(s, o, now, policy, count))
    return count


def _one_order(
    unit_of_work: Callable[[], AbstractContextManager[Session]],
    order_id: int,
    work: Callable[[Session, Order], None],
) -> None:
    try:
        with unit_of_work() as session:
            order = queries.order_for_dispatch(session, order_id)
            if order is not None:
                work(session, order)
    except Exception:
        log.exception("dispatch of order %s failed; tried again on the next sweep", order_id)


def _first_offers(
    session: Session, order: Order, now: dt.datetime, policy: DispatchPolicy, count: SweepCount
) -> None:
    if order.state != "placed":
        return
    seen = Seen.of(order)
    offered = offer_order(session, order, now=now)
    if offered:
        count.offered += 1
    elif offered == 0 and give_up(session, order, now=now, policy=policy, seen=seen):
        count.unassigned += 1


def _next_round(
    session: Session, order: Order, now: dt.datetime, policy: DispatchPolicy, count: SweepCount
) -> None:
    if order.state != "offered" or order.offered_at is None:
        return
    if order.offered_at > now - policy.offer_window:
        return  # offered again meanwhile
    seen = Seen.of(order)
    offered = (
        offer_order(session, order, now=now, round_=LAST_ROUND)
        if (order.offer_round < LAST_ROUND)
        else 0
    )
    if offered:
        count.reoffered += 1
    elif offered == 0 and give_up(session, order, now=now, policy=policy, seen=seen):
        count.unassigned += 1


@dataclass(frozen=True)
class Seen:
    """What a decision about an order was made on: it holds only while these still do."""

    state: str
    offer_round: int
    offered_at: dt.datetime | None

    @classmethod
    def of(cls, order: Order) -> Seen:
        return cls(order.state, order.offer_round, order.offered_at)

    def conditions(self) -> list[ColumnElement[bool]]:
        """The UPDATE's conditions beyond the state: the same round, offered at the same time."""
        offered = (
            Order.offered_at.is_(None)
            if self.offered_at is None
            else Order.offered_at == self.offered_at
        )
        return [Order.offer_round == self.offer_round, offered]


def give_up(
    session: Session,
    order: Order,
    *,
    now: dt.datetime,
    policy: DispatchPolicy,
    seen: Seen | None = None,
    tell_customer: bool = True,
) -> bool:
    """No courier: `unassigned`; the call center and the customer are told (the customer
    not here when `tell_customer` is False: their order's confirmation says it).

    `seen`: the order as the decision found it; False when it has moved on since (another
    worker offered it again, a courier took it), and nobody is told anything.
    """
    seen = seen or Seen.of(order)
    if seen.state not in ("placed", "offered"):
        return False
    # A failed delivery offered again that nobody took waits as failed again: its goods
    # are still with the courier who had it.
    after = "failed" if order.goods_with_id is not None else "unassigned"
    if not move_order(session, order, seen.state, after, *seen.conditions()):
        return False
    _close_offers(session, order, "expired", now)
    order = queries.order_for_dispatch(session, order.id) or order
    _tell_call_center(
        session, order, policy, "dispatch.call_center", now, market=order.market.name,
        total=Money(order.total),
    )  # fmt: skip
    if after == "failed":  # the customer heard of the failure already; staff will call
        log.warning("order %s failed again: nobody took it over", order.number)
        return True
    if not tell_customer:  # the order's confirmation tells them, in the same transaction
        log.warning("order %s unassigned: no courier free", order.number)
        return True
    if policy.call_center_number:
        apology = Text.of(
            "dispatch.customer.unassigned_call",
            number=Digits(order.number),
            call_center=friendly_phone(policy.call_center_number),
        )
    else:
        apology = Text.of("dispatch.customer.unassigned", number=Digits(order.number))
    _tell_customer(session, order, apology, now)
    log.warning("order %s unassigned: no courier took it", order.number)
    return True


# ---------------------------------------------------------------- helpers


def address_area(address: str) -> str:
    """The part of an address a courier may see before taking the job: banjar and desa.

    `Jl. Ngurah Rai 5, Banjar Kauh, Desa Bugbug, dekat pura` -> `Banjar Kauh, Desa Bugbug`.
    Without either, the last part after a comma when it holds no house number; else empty
    (a spoken address, or one with nothing to show before the job is taken).
    """
    found = [match.group(0).strip() for match in AREA_WORDS.finditer(address or "")]
    if found:
        return ", ".join(dict.fromkeys(found))[:AREA_LIMIT]
    parts = [part.strip() for part in (address or "").split(",") if part.strip()]
    if len(parts) > 1 and not any(ch.isdigit() for ch in parts[-1]):
        return parts[-1][:AREA_LIMIT]
    return ""


_AREA = r"(?:banjar|br\.?|desa|ds\.?|dusun|kelurahan|kel\.)"
_NOT_A_NAME = rf"(?!{_AREA}(?:\s|$)|dekat\b|depan\b|belakang\b|samping\b|no\b|gang\b|jl\b)"
# "Banjar Kauh", "Desa Bugbug", "br. Tengah": the area word and one or two words of name.
AREA_WORDS = re.compile(
    rf"\b{_AREA}\s*{_NOT_A_NAME}[^\W\d_][\w'-]*(?:\s+{_NOT_A_NAME}[^\W\d_][\w'-]*)?",
    re.IGNORECASE,
)


def _lines_by_vendor(session: Session, order: Order) -> list[tuple[Vendor, list[OrderLine]]]:
    """The order's lines grouped by the trader who sells them, in order."""
    items = queries.items_by_id(session, [line.item_id for line in order.lines])
    vendor_of = {
        line.id: items[line.item_id].vendor for line in order.lines if line.item_id in items
    }
    lines = sorted(
        (line for line in order.lines if line.id in vendor_of),
        key=lambda line: (vendor_of[line.id].position, vendor_of[line.id].id, line.id),
    )
    return [
        (vendor, list(group))
        for vendor, group in groupby(lines, key=lambda line: vendor_of[line.id])
    ]


def _lines_text(lang: str, key: str, lines: Sequence[OrderLine], **params: object) -> str:
    """A text about some lines of an order: `{lines}` named, `{amount}` what they cost."""
    amount = Money(sum(line.line_total for line in lines))
    return _render(lang, key, lines=_line_list(lines, lang), amount=amount, **params)


def _line_list(lines: Sequence[OrderLine], lang: str = "id") -> str:
    prompts = default_catalog()
    return ", ".join(
        f"{line.item_name} {line.quantity} {prompts.render(Text.of(f'unit.{line.unit}'), lang)}"
        for line in lines
    )


def _tell_customer(
    session: Session, order: Order, text: str | Text, now: dt.datetime, **params: object
) -> None:
    """An SMS about the order to the customer, in their language."""
    message = text if isinstance(text, Text) else Text.of(text, number=order.number, **params)
    lang = order.customer.language or "id"
    body = default_catalog().render(message, lang)
    enqueue_sms(
        session, to=order.customer.phone, body=body, kind="order_update", order=order, now=now
    )


def _tell_call_center(
    session: Session,
    order: Order,
    policy: DispatchPolicy,
    key: str,
    now: dt.datetime,
    **params: object,
) -> None:
    """An SMS about the order to CALL_CENTER_NUMBER, naming the customer (unset: a warning in
    the log, and the console's board shows the order)."""
    if not policy.call_center_number:
        log.warning("order %s: %s, and CALL_CENTER_NUMBER is not set", order.number, key)
        return
    body = _render(
        "id",
        key,
        number=order.number,
        name=order.delivery_name or "-",
        phone=friendly_phone(order.customer.phone),
        **params,
    )
    to = policy.call_center_number
    enqueue_sms(session, to=to, body=body, kind="order_update", order=order, now=now)


def _tell_traders(
    session: Session, order: Order, key: str, now: dt.datetime, **params: object
) -> None:
    """One SMS to each trader of the order about their lines, whatever stalls they keep."""
    by_phone: dict[str, list[OrderLine]] = {}
    for vendor, lines in _lines_by_vendor(session, order):
        if vendor.phone:
            by_phone.setdefault(vendor.phone, []).extend(lines)
    languages = queries.languages_of(session, list(by_phone))
    messages = [
        (
            phone,
            _lines_text(languages.get(phone) or "id", key, lines, number=order.number, **params),
            order,
        )
        for phone, lines in by_phone.items()
    ]
    enqueue_many(session, messages, kind="order_update", now=now)


def _render(lang: str, key: str, **params: object) -> str:
    return default_catalog().render(Text.of(key, **params), lang)
