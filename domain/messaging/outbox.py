"""The outbox: SMS written in the same transaction as the change that causes them.

`enqueue_sms` is the only way a message enters the outbox; the worker's `deliver_due` claims
what is due, sends it through a sender, retries with backoff and gives up (`dead`) after the
last try. Delivery is at least once: a worker that dies mid-send may leave that one message
to be sent again, and nothing is lost. Delivery reports are kept until they can be applied.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Protocol

from sqlalchemy import Update, insert, update
from sqlalchemy.orm import Session

from domain.messaging import queries
from domain.messaging.claims import claim_due
from domain.phones import mask_phone
from storage.clock import Clock
from storage.models import DeliveryReport, Order, OutboundMessage
from telemetry.metrics import SMS_COST, SMS_DEAD, SMS_FAILED, SMS_SEGMENTS, SMS_SENT, on_commit
from voice_prompts.gsm7 import count_segments

log = logging.getLogger(__name__)

# how_to_order and callback_offer answer a ring on the missed-call number (callbacks.py).
KINDS = ("reply", "order_update", "offer", "announcement", "how_to_order", "callback_offer")
# pending -> sending (claimed by one worker) -> sent -> delivered | failed (the provider's
# report); back to pending to retry; dead: our tries ran out; refused: never sent to a number
# that opted out.
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
    session: Session,
    *,
    to: str,
    body: str,
    kind: str,
    now: dt.datetime,
    order: Order | None = None,
    send_at: dt.datetime | None = None,
) -> OutboundMessage:
    """Add one SMS to the outbox (sent by the worker after the transaction commits, and not
    before `send_at` when given: the quiet hours).

    A message the recipient opted out of is written as `refused`, with the reason, and never
    sent: the rule lives here so that no feature can forget it.
    """
    message = OutboundMessage(
        **_outbox_row(to, body, kind, now, order, send_at, queries.opted_out_since(session, [to]))
    )
    message.order = order
    session.add(message)
    return message


def enqueue_many(
    session: Session,
    messages: Sequence[tuple[str, str, Order | None]],
    *,
    kind: str,
    now: dt.datetime,
) -> int:
    """`enqueue_sms` for many (number, text, order) at once, in a constant number of
    statements (an offer to every courier of a market): one look-up of who opted out, one
    INSERT of them all. Returns how many were written."""
    if not messages:
        return 0
    stopped = queries.opted_out_since(session, [to for to, _, _ in messages])
    rows = [
        _outbox_row(to, body, kind, now, order, None, stopped)
        | {"order_id": order.id if order is not None else None}
        for to, body, order in messages
    ]
    session.execute(insert(OutboundMessage), rows)
    return len(rows)


def _outbox_row(
    to: str,
    body: str,
    kind: str,
    now: dt.datetime,
    order: Order | None,
    send_at: dt.datetime | None,
    stopped: dict[str, dt.datetime],
) -> dict[str, object]:
    """The columns of one outbox message, refused when its number opted out."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    count = count_segments(body)
    row: dict[str, object] = {
        "to": to,
        "body": body,
        "kind": kind,
        "segments": count.segments,
        "encoding": count.encoding,
        "state": "pending",
        "attempts": 0,
        "next_try_at": max(send_at, now) if send_at is not None else now,
        "created_at": now,
    }
    refusal = _opt_out_refusal(stopped.get(to), kind, order)
    if refusal:
        row["state"], row["last_error"] = "refused", refusal
    return row


def _opt_out_refusal(
    opted_out_at: dt.datetime | None, kind: str, order: Order | None
) -> str | None:
    """Why a message must not go to a number that sent STOP at `opted_out_at` (None: it may)."""
    if opted_out_at is None or kind == "reply":
        return None
    stopped = opted_out_at.strftime("%Y-%m-%d %H:%M UTC")
    if kind in UNSOLICITED_KINDS:
        return f"opted out: the number sent STOP on {stopped}"
    placed_at = order.placed_at if order is not None else None
    if placed_at is not None and placed_at < opted_out_at:
        return f"opted out: the number sent STOP on {stopped}, after this order was placed"
    return None


@dataclass(frozen=True)
class Claim:
    """A message one worker holds: send it, then record the outcome under the same claim."""

    message_id: int
    to: str
    body: str
    attempts: int  # counting this one, once it is started (`start_next`)
    segments: int  # what the provider bills for it
    worker_id: str


@dataclass(frozen=True)
class OutboxPolicy:
    """How the worker sends: when to give up, how long a claim lasts."""

    max_attempts: int
    lease: dt.timedelta
    provider: str = "log"  # SMS_PROVIDER: recorded with each message sent (what it cost)
    batch: int = 20  # messages claimed in one transaction
    segment_price: int | None = None  # rupiah per segment (SMS_PRICE_RUPIAH); None: unknown


@dataclass
class PassCount:
    """What one pass over the outbox did."""

    sent: int = 0
    failed: int = 0


def deliver_due(
    unit_of_work: Callable[[], AbstractContextManager[Session]],
    sender: Sender,
    *,
    clock: Clock,
    policy: OutboxPolicy,
    worker_id: str,
    limit: int = 100,
    records: Callable[[], AbstractContextManager[Session]] | None = None,
    alive: Callable[[], object] = lambda: None,
) -> PassCount:
    """Claim due messages a batch at a time, then send and record each (at most `limit`).
    `alive` is called after each one: the worker's heartbeat through a long pass.

    Claiming, sending and recording are separate steps: the provider is called outside any
    transaction, so a slow provider never holds up the web requests. A batch (`policy.batch`)
    is claimed in one transaction; a message's try is counted, and its lease started afresh,
    only just before it is sent (`start_next`: in the transaction that records the message
    before it), so messages of a batch that were never sent keep their tries, and a message
    whose lease ran out while it waited is another worker's. Each outcome is recorded in its
    own transaction, in `records` (the database's relaxed units of work: a process killed
    loses none of them, a power cut may lose the last few, and those messages go again).
    Any failure of a send counts an attempt and is retried later; a worker that dies
    between sending and recording leaves its one message in flight to be sent again when
    the lease runs out, and the rest of its batch to be claimed then (at least once, never
    lost). A database error propagates: the worker's loop backs off and tries again.
    """
    record_in = records or unit_of_work
    count = PassCount()
    while (done := count.sent + count.failed) < limit:
        with unit_of_work() as session:
            claims = claim_due_messages(
                session,
                now=clock(),
                policy=policy,
                worker_id=worker_id,
                limit=min(policy.batch, limit - done),
            )
            waiting = iter(claims)
            claim = start_next(session, waiting, now=clock(), policy=policy)
        if not claims:
            break
        while claim is not None:
            if claim.attempts > policy.max_attempts:  # its last try died with its worker
                result, error = None, SendError("no result after the last try", permanent=True)
            else:
                result, error = _send(sender, claim)
            with record_in() as session:
                record_outcome(session, claim, clock(), policy, result=result, error=error)
                claim = start_next(session, waiting, now=clock(), policy=policy)
            if error is None:
                count.sent += 1
            else:
                count.failed += 1
            alive()
    return count


_CLAIMED = (
    OutboundMessage.id,
    OutboundMessage.to,
    OutboundMessage.body,
    OutboundMessage.attempts,
    OutboundMessage.segments,
)


def claim_next(
    session: Session, *, now: dt.datetime, policy: OutboxPolicy, worker_id: str
) -> Claim | None:
    """Claim the oldest due message for `worker_id` (`sending`) and count its try, or None
    when nothing is due."""
    claims = claim_due_messages(session, now=now, policy=policy, worker_id=worker_id, limit=1)
    return start_next(session, iter(claims), now=now, policy=policy)


def claim_due_messages(
    session: Session, *, now: dt.datetime, policy: OutboxPolicy, worker_id: str, limit: int
) -> list[Claim]:
    """Claim up to `limit` of the oldest due messages for `worker_id` (`sending`); their
    tries are counted one by one as they are sent (`start_next`)."""
    rows = claim_due(
        session,
        OutboundMessage,
        now=now,
        worker_id=worker_id,
        lease=policy.lease,
        claimed_state="sending",
        returning=_CLAIMED,
        limit=limit,
        count_try=False,
    )
    return [Claim(*row, worker_id=worker_id) for row in rows]


def start_next(
    session: Session, waiting: Iterator[Claim], *, now: dt.datetime, policy: OutboxPolicy
) -> Claim | None:
    """The next of `waiting` that is still this worker's, its try counted and its lease
    started afresh (a whole lease for its send); None when none is left. A message whose
    lease ran out while it waited may have gone to another worker: it is skipped."""
    for claim in waiting:
        attempts = session.execute(
            _still_held(claim)
            .values(attempts=OutboundMessage.attempts + 1, lease_until=now + policy.lease)
            .returning(OutboundMessage.attempts)
        ).scalar()
        if attempts is not None:
            return replace(claim, attempts=attempts)
        log.info("SMS %s went to another worker while it waited", claim.message_id)
    return None


def _still_held(claim: Claim) -> Update:
    """An UPDATE of the claimed message that touches it only while `claim` still holds."""
    return (
        update(OutboundMessage)
        .where(
            OutboundMessage.id == claim.message_id,
            OutboundMessage.state == "sending",
            OutboundMessage.claimed_by == claim.worker_id,
        )
        .execution_options(synchronize_session=False)
    )


def _send(sender: Sender, claim: Claim) -> tuple[SentMessage | None, SendError | None]:
    """Hand one message to the provider; any failure is an error to record, never a crash."""
    try:
        return sender.send(claim.to, claim.body), None
    except SendError as exc:
        return None, exc
    except Exception as exc:  # a bug or a surprise in an SDK: this message waits, others go
        log.exception("SMS %s to %s: unexpected error", claim.message_id, mask_phone(claim.to))
        return None, SendError(f"unexpected {type(exc).__name__}: {exc}")


def record_outcome(
    session: Session,
    claim: Claim,
    now: dt.datetime,
    policy: OutboxPolicy,
    *,
    result: SentMessage | None = None,
    error: SendError | None = None,
) -> None:
    """Record a send's outcome, only if the claim still holds (its lease may have run out).

    Sent: the provider's id is kept, and any delivery report already waiting for it applied.
    Failed: retried after a backoff, or `dead` after the last try or a permanent error.
    """
    if error is None and result is not None:
        if result.provider_message_id:
            # The report of this id may be arriving now: whichever of the two commits second
            # sees the other (record_delivery takes the same lock).
            queries.lock_for(session, f"sms:{result.provider_message_id}")
        values: dict[str, object] = {
            "state": "sent",
            "sent_at": now,
            "provider": policy.provider,
            "provider_message_id": result.provider_message_id,
            "last_error": None,
        }
    else:
        error = error or SendError("no result")
        last_try = error.permanent or claim.attempts >= policy.max_attempts
        values = {"state": "dead" if last_try else "pending", "last_error": str(error)[:500]}
        if last_try:
            log.warning(
                "SMS %s to %s is dead after %d tries: %s",
                claim.message_id,
                mask_phone(claim.to),
                claim.attempts,
                error,
            )
        else:
            delay = BACKOFF_SECONDS[min(claim.attempts - 1, len(BACKOFF_SECONDS) - 1)]
            values["next_try_at"] = now + dt.timedelta(seconds=delay)
    recorded = session.execute(
        _still_held(claim).values(claimed_by=None, lease_until=None, **values)
    ).rowcount
    if not recorded:
        log.warning("SMS %s: claim lost before its outcome was recorded", claim.message_id)
        return
    on_commit(session, lambda: _count_outcome(str(values["state"]), claim, policy))
    if values["state"] == "sent" and result.provider_message_id:
        apply_waiting_reports(session, result.provider_message_id, now)


def _count_outcome(state: str, claim: Claim, policy: OutboxPolicy) -> None:
    provider = policy.provider
    if state == "sent":
        SMS_SENT.labels(provider).inc()
        SMS_SEGMENTS.labels(provider).inc(claim.segments)
        if policy.segment_price is not None:
            SMS_COST.labels(provider).inc(claim.segments * policy.segment_price)
    elif state == "dead":
        SMS_DEAD.labels(provider).inc()
    else:
        SMS_FAILED.labels(provider).inc()


def record_delivery(
    session: Session,
    *,
    provider: str,
    provider_message_id: str,
    delivered: bool,
    error: str | None,
    now: dt.datetime,
) -> bool:
    """Store a provider's final word on a message and apply it; False when not applied yet.

    A report for an id the worker has not recorded yet waits and is applied when it is.
    """
    queries.lock_for(session, f"sms:{provider_message_id}")  # see record_outcome
    session.add(
        DeliveryReport(
            provider=provider,
            provider_message_id=provider_message_id,
            delivered=delivered,
            error=error[:500] if error else None,
            received_at=now,
        )
    )
    session.flush()
    return apply_waiting_reports(session, provider_message_id, now) > 0


def apply_waiting_reports(session: Session, provider_message_id: str, now: dt.datetime) -> int:
    """Apply the reports waiting for the message the provider knows by this id; how many."""
    reports = queries.waiting_reports(session, provider_message_id)  # mostly none: read first
    if not reports:
        return 0
    message = queries.outbound_by_provider_id(session, provider_message_id)
    if message is None:
        return 0
    for report in reports:
        message.state = "delivered" if report.delivered else "failed"
        if report.error:
            message.last_error = report.error
        report.applied_at = now
    return len(reports)


RETRYABLE_STATES = ("failed", "dead")


def retry(session: Session, message_id: int, *, now: dt.datetime) -> bool:
    """Send a failed or dead message again (the call center's retry): pending, tries anew.

    False when it is not failed or dead any more (sent meanwhile, or retried already).
    """
    return bool(
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id, OutboundMessage.state.in_(RETRYABLE_STATES))
            .values(state="pending", attempts=0, next_try_at=now, claimed_by=None, lease_until=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    )
