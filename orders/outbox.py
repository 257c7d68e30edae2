"""The outbox: SMS written in the same transaction as the change that causes them.

`enqueue_sms` is the only way a message enters the outbox; the worker's `deliver_due` sends
what is due through a sender, retrying with backoff and giving up (`dead`) after the last try.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from menus.sms import count_segments
from orders.phones import mask_phone
from storage import queries
from storage.models import Order, OutboundMessage, utcnow

log = logging.getLogger(__name__)

KINDS = ("reply", "order_update", "offer", "announcement")
# pending -> sent -> delivered | failed (the provider's report); dead: our tries ran out;
# refused: never sent to a number that opted out.
# What a number that sent STOP still gets: answers to what it sends, and news of orders it
# places afterwards. Offers and announcements are unsolicited and never go to it.
UNSOLICITED_KINDS = ("offer", "announcement")
BACKOFF_SECONDS = (30, 60, 120, 300, 900, 1800)


class SendError(Exception):
    """The provider refused or could not be reached; tried again unless `permanent`."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SentMessage:
    provider_message_id: str | None


class Sender(Protocol):
    """Hands one SMS to a provider."""

    def send(self, to: str, body: str) -> SentMessage: ...


def enqueue_sms(
    session: Session, *, to: str, body: str, kind: str, order: Order | None = None
) -> OutboundMessage:
    """Add one SMS to the outbox (sent by the worker after the transaction commits).

    A message the recipient opted out of is written as `refused`, with the reason, and never
    sent: the rule lives here so that no feature can forget it.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    count = count_segments(body)
    message = OutboundMessage(
        to=to,
        body=body,
        kind=kind,
        segments=count.segments,
        encoding=count.encoding,
        order=order,
        next_try_at=utcnow(),
    )
    refusal = _opt_out_refusal(session, to, kind, order)
    if refusal:
        message.state, message.last_error = "refused", refusal
    session.add(message)
    return message


def _opt_out_refusal(session: Session, to: str, kind: str, order: Order | None) -> str | None:
    """Why this message must not go to `to`, or None when it may."""
    customer = queries.customer_by_phone(session, to)
    if customer is None or customer.opted_out_at is None or kind == "reply":
        return None
    stopped = customer.opted_out_at.strftime("%Y-%m-%d %H:%M UTC")
    if kind in UNSOLICITED_KINDS:
        return f"opted out: the number sent STOP on {stopped}"
    placed_at = order.placed_at if order is not None else None
    if placed_at is not None and placed_at < customer.opted_out_at:
        return f"opted out: the number sent STOP on {stopped}, after this order was placed"
    return None


def deliver_due(
    unit_of_work: Callable[[], AbstractContextManager[Session]],
    sender: Sender,
    *,
    now: dt.datetime,
    max_attempts: int,
) -> tuple[int, int]:
    """Send every due message once; returns (sent, failed).

    Each message is read, sent and recorded in units of work of its own, and the provider is
    called outside any transaction, so a slow provider never holds up the web requests. A
    crash between sending and recording sends that message again: at least once, never lost.
    """
    with unit_of_work() as session:
        due = [(m.id, m.to, m.body) for m in queries.due_outbound(session, now)]
    sent = failed = 0
    for message_id, to, body in due:
        try:
            result, error = sender.send(to, body), None
        except SendError as exc:
            result, error = None, exc
        with unit_of_work() as session:
            message = session.get(OutboundMessage, message_id)
            message.attempts += 1
            if error is not None:
                failed += 1
                _schedule_retry(message, str(error), now, 1 if error.permanent else max_attempts)
                continue
            message.state = "sent"
            message.sent_at = now
            message.provider_message_id = result.provider_message_id
            message.last_error = None
            sent += 1
    return sent, failed


def _schedule_retry(
    message: OutboundMessage, error: str, now: dt.datetime, max_attempts: int
) -> None:
    message.last_error = error[:500]
    if message.attempts >= max_attempts:
        message.state = "dead"
        log.warning(
            "SMS %s to %s is dead after %d tries: %s",
            message.id,
            mask_phone(message.to),
            message.attempts,
            error,
        )
        return
    delay = BACKOFF_SECONDS[min(message.attempts - 1, len(BACKOFF_SECONDS) - 1)]
    message.next_try_at = now + dt.timedelta(seconds=delay)


def record_delivery(
    session: Session, *, provider_message_id: str, delivered: bool, error: str | None = None
) -> bool:
    """Note a provider's final word on a sent message; False when we sent no such message."""
    message = queries.outbound_by_provider_id(session, provider_message_id)
    if message is None:
        return False
    message.state = "delivered" if delivered else "failed"
    if error:
        message.last_error = error[:500]
    return True
