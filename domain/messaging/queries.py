"""Reads of talking to phones: the outbox and its delivery reports, the inbox and its flood hold,
the missed-call number's rings and call backs, the worker's heartbeat.

Each takes the session first and never commits (the caller does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from storage.models import (
    Customer,
    DeliveryReport,
    InboundMessage,
    MissedRing,
    Order,
    OutboundCall,
    OutboundMessage,
    WorkerHeartbeat,
)


def opted_out_since(session: Session, phones: Sequence[str]) -> dict[str, dt.datetime]:
    """Of these numbers, those that sent STOP, and when (one query for any number of them)."""
    if not phones:
        return {}
    return dict(
        session.execute(
            select(Customer.phone, Customer.opted_out_at).where(
                Customer.phone.in_(set(phones)), Customer.opted_out_at.is_not(None)
            )
        ).all()
    )


def lock_for(session: Session, key: str) -> None:
    """Hold a lock named `key` until this transaction ends (PostgreSQL's transaction-level
    advisory lock). Two transactions that each write one thing and read the other's (a
    delivery report and the worker recording its message as sent) take it first, so that
    one sees what the other committed. SQLite runs one writer at a time: nothing to do."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


def outbox_backlog(session: Session, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """How many outbox messages are due and not sent, and since when the oldest has been due."""
    due = (OutboundMessage.state.in_(("pending", "sending")), OutboundMessage.next_try_at <= now)
    count, oldest = session.execute(
        select(func.count(), func.min(OutboundMessage.next_try_at)).where(*due)
    ).one()
    return count, oldest


def last_heartbeat(session: Session) -> dt.datetime | None:
    """When a worker was last heard from."""
    return session.scalar(
        select(WorkerHeartbeat.beat_at).order_by(WorkerHeartbeat.beat_at.desc()).limit(1)
    )


def waiting_reports(session: Session, provider_message_id: str) -> Sequence[DeliveryReport]:
    """Delivery reports for this provider id not applied yet, oldest first."""
    return session.scalars(
        select(DeliveryReport)
        .where(
            DeliveryReport.provider_message_id == provider_message_id,
            DeliveryReport.applied_at.is_(None),
        )
        .order_by(DeliveryReport.id)
    ).all()


def due_inbound(session: Session, now: dt.datetime, limit: int = 50) -> Sequence[InboundMessage]:
    """Stored SMS still waiting to be handled whose next try is due, oldest first."""
    return session.scalars(
        select(InboundMessage)
        .where(InboundMessage.state == "pending", InboundMessage.next_try_at <= now)
        .order_by(InboundMessage.next_try_at, InboundMessage.id)
        .limit(limit)
    ).all()


def inbound_message(session: Session, provider: str, message_id: str) -> InboundMessage | None:
    """A message already received from this provider with this id."""
    return session.scalar(
        select(InboundMessage).where(
            InboundMessage.provider == provider,
            InboundMessage.provider_message_id == message_id,
        )
    )


def earlier_pending_inbound(
    session: Session, phone: str, before_id: int, held_back: str
) -> InboundMessage | None:
    """The number's latest message before `before_id` held back and still waiting."""
    return session.scalar(
        select(InboundMessage)
        .where(
            InboundMessage.phone == phone,
            InboundMessage.state == "pending",
            InboundMessage.last_error == held_back,
            InboundMessage.id < before_id,
        )
        .order_by(InboundMessage.next_try_at.desc())
        .limit(1)
    )


def held_count(session: Session, phone: str, held_back: str) -> int:
    """How many of the number's messages are held back and waiting."""
    return session.scalar(
        select(func.count())
        .select_from(InboundMessage)
        .where(
            InboundMessage.phone == phone,
            InboundMessage.state == "pending",
            InboundMessage.last_error == held_back,
        )
    )


def held_since(session: Session, phone: str, since: dt.datetime, held_back: str) -> bool:
    """Whether a message of the number received since `since` was held back (and told so)."""
    return (
        session.scalar(
            select(InboundMessage.id)
            .where(
                InboundMessage.phone == phone,
                InboundMessage.received_at >= since,
                InboundMessage.last_error == held_back,
            )
            .limit(1)
        )
        is not None
    )


def handled_since(
    session: Session, phone: str, since: dt.datetime, except_id: int
) -> list[dt.datetime]:
    """When the number's messages handled since `since` were handled, oldest first."""
    return list(
        session.scalars(
            select(InboundMessage.handled_at)
            .where(
                InboundMessage.phone == phone,
                InboundMessage.state == "handled",
                InboundMessage.handled_at >= since,
                InboundMessage.id != except_id,
            )
            .order_by(InboundMessage.handled_at)
        )
    )


def outbound_by_provider_id(session: Session, provider_message_id: str) -> OutboundMessage | None:
    """The outbox message a provider knows by this id."""
    return session.scalar(
        select(OutboundMessage).where(OutboundMessage.provider_message_id == provider_message_id)
    )


def troubled_messages(session: Session, limit: int = 100) -> Sequence[OutboundMessage]:
    """Outbox messages that failed at the provider or ran out of tries, newest first."""
    return session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.state.in_(("failed", "dead")))
        .order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
        .limit(limit)
    ).all()


def sms_thread(
    session: Session, phone: str, limit: int = 100
) -> list[tuple[dt.datetime, str, str, str]]:
    """Every SMS from and to one number, oldest first: (time, "in" | "out", text, state)."""
    inbound = session.execute(
        select(InboundMessage.received_at, InboundMessage.body, InboundMessage.state)
        .where(InboundMessage.phone == phone)
        .order_by(InboundMessage.received_at.desc())
        .limit(limit)
    ).all()
    outbound = session.execute(
        select(OutboundMessage.created_at, OutboundMessage.body, OutboundMessage.state)
        .where(OutboundMessage.to == phone)
        .order_by(OutboundMessage.created_at.desc())
        .limit(limit)
    ).all()
    thread = [(at, "in", body, state) for at, body, state in inbound]
    thread += [(at, "out", body, state) for at, body, state in outbound]
    return sorted(thread, key=lambda entry: entry[0])[-limit:]


def sms_sent_since(session: Session, phone: str, kind: str, since: dt.datetime) -> bool:
    """Whether an SMS of `kind` was written to `phone` after `since`, or is still to go."""
    return (
        session.scalar(
            select(OutboundMessage.id)
            .where(
                OutboundMessage.to == phone,
                OutboundMessage.kind == kind,
                or_(OutboundMessage.created_at > since, OutboundMessage.state == "pending"),
            )
            .limit(1)
        )
        is not None
    )


def outbound_call(session: Session, call_id: int) -> OutboundCall | None:
    """One call back, by our id."""
    return session.get(OutboundCall, call_id)


def rings_since(session: Session, since: dt.datetime, outcomes: Sequence[str]) -> int:
    """How many rings on the missed-call number since `since` led to one of `outcomes`."""
    return session.scalar(
        select(func.count())
        .select_from(MissedRing)
        .where(MissedRing.at >= since, MissedRing.outcome.in_(outcomes))
    )


def calls_ringing_since(session: Session, since: dt.datetime) -> Sequence[OutboundCall]:
    """Call backs still `ringing` that started ringing before `since`."""
    return session.scalars(
        select(OutboundCall)
        .where(OutboundCall.state == "ringing", OutboundCall.updated_at < since)
        .order_by(OutboundCall.id)
        .limit(100)
    ).all()


def outbound_call_by_provider_id(session: Session, provider_call_id: str) -> OutboundCall | None:
    """The call back the provider knows by this id (Africa's Talking's sessionId)."""
    return session.scalar(
        select(OutboundCall).where(OutboundCall.provider_call_id == provider_call_id)
    )


def recent_calls(session: Session, limit: int = 50) -> Sequence[OutboundCall]:
    """The newest call backs, for the console."""
    return session.scalars(
        select(OutboundCall)
        .order_by(OutboundCall.created_at.desc(), OutboundCall.id.desc())
        .limit(limit)
    ).all()


def ringing_call_back(session: Session, phone: str) -> OutboundCall | None:
    """The call back ringing at `phone` now (placed, not yet answered or given up on)."""
    return session.scalar(
        select(OutboundCall)
        .where(OutboundCall.phone == phone, OutboundCall.state == "ringing")
        .order_by(OutboundCall.id.desc())
        .limit(1)
    )


def caller_and_last_order(session: Session, phone: str) -> tuple[Customer | None, Order | None]:
    """Who rang the missed-call number: the customer with this number, if any, and their
    newest order that was not cancelled, with its market (where a call back waits for)."""
    customer = session.scalar(select(Customer).where(Customer.phone == phone))
    if customer is None:
        return None, None
    last = session.scalar(
        select(Order)
        .options(selectinload(Order.market))
        .where(Order.customer_id == customer.id, Order.state != "cancelled")
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(1)
    )
    return customer, last
