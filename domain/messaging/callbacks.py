"""Missed calls and the calls back: who is called back, when, and only once.

A ring on the missed-call number is rejected unanswered (the caller pays nothing), then:
a customer with a last order gets one call back (`outbound_calls`), at once when their
market is open and it is not the quiet hours, else at the next moment it is both; rings
while a call back is waiting, or within REPEAT_WINDOW of the last one, are merged into it.
Anyone else gets one SMS saying how to order. The worker claims due call backs like outbox
SMS (a lease; retried with backoff; `dead` after the last try).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.hours import next_opening
from domain.messaging import queries
from domain.messaging.claims import claim_due
from domain.messaging.outbox import SendError, enqueue_sms
from domain.phones import in_region, mask_phone
from settings import DEFAULT_TIMEZONE
from storage.clock import Clock
from storage.models import WAITING_CALL_STATES, MissedRing, OutboundCall
from telemetry.metrics import CALLBACKS, MISSED_RINGS, on_commit

log = logging.getLogger(__name__)

REPEAT_WINDOW = dt.timedelta(minutes=10)  # rings within it make one call back
CALL_BACKOFF_SECONDS = (60, 300, 900)
MAX_CALL_ATTEMPTS = 3
CALL_LEASE = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class QuietHours:
    """When nobody is called back: `start` to `end`, local time (over midnight if need be)."""

    start: dt.time
    end: dt.time
    timezone: str = DEFAULT_TIMEZONE

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """`"20:00-07:00"` (checked by settings.py)."""
        start, end = (dt.time.fromisoformat(part) for part in text.split("-"))
        return cls(start, end)

    def next_allowed(self, moment: dt.datetime) -> dt.datetime:
        """`moment` itself outside the quiet hours, else the end of them."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        now = local.time()
        quiet = (
            self.start <= now < self.end
            if self.start < self.end
            else now >= self.start or now < self.end
        )
        if not quiet:
            return moment
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += dt.timedelta(days=1)
        return end.astimezone(dt.UTC)


@dataclass(frozen=True)
class RingPolicy:
    """What the settings say about whom the missed-call number may text or call back."""

    quiet: QuietHours
    region: str  # PHONE_REGION: nobody outside it is texted or called back
    hourly_cap: int  # how-to SMS and call backs an hour, all numbers together


# What a ring led to that costs us an SMS or a call (counted against the hourly cap).
COSTLY_OUTCOMES = ("call_back", "told_how")


def register_missed_call(
    session: Session,
    *,
    phone: str,
    provider: str,
    call_id: str,
    now: dt.datetime,
    policy: RingPolicy,
    how_to_order: Callable[[str | None], str],
) -> str:
    """Record one ring from `phone`; returns what it led to: "repeat" (this call id was
    recorded already: a replay), "foreign" (outside PHONE_REGION: nothing sent), "capped"
    (the hourly cap is reached: nothing sent), "call_back", "merged" (into the call back
    waiting), "told_how" (the SMS for someone with no order to repeat, written by
    `how_to_order(language)`, held until the quiet hours end) or "already_told"."""
    ring = MissedRing(provider=provider, call_id=call_id, phone=phone, at=now, outcome="")
    try:
        with session.begin_nested():  # the same ring twice at once: the unique key keeps one
            session.add(ring)
    except IntegrityError:
        return "repeat"
    ring.outcome = _act_on_ring(session, ring, policy, how_to_order)
    on_commit(session, MISSED_RINGS.labels(ring.outcome).inc)
    return ring.outcome


def _act_on_ring(
    session: Session,
    ring: MissedRing,
    policy: RingPolicy,
    how_to_order: Callable[[str | None], str],
) -> str:
    """The call back or SMS one recorded ring leads to, within the region and the cap."""
    phone, now = ring.phone, ring.at
    if not in_region(phone, policy.region):
        return "foreign"
    customer, last = queries.caller_and_last_order(session, phone)
    merged = last is not None and _merged(session, phone, now)
    if merged:
        return "merged"
    if last is None and queries.sms_sent_since(session, phone, "how_to_order", now - REPEAT_WINDOW):
        return "already_told"
    costly = queries.rings_since(session, now - dt.timedelta(hours=1), COSTLY_OUTCOMES)
    if costly >= policy.hourly_cap:
        log.warning(
            "missed-call cap reached (%d an hour): a ring from %s is not answered",
            policy.hourly_cap,
            mask_phone(phone),
        )
        return "capped"
    if customer is None or last is None:
        body = how_to_order(customer.language if customer else None)
        send_at = policy.quiet.next_allowed(now)
        enqueue_sms(session, to=phone, body=body, kind="how_to_order", now=now, send_at=send_at)
        return "told_how"
    call_at = when_to_call(last.market, now, policy.quiet)
    call = OutboundCall(
        phone=phone,
        provider=ring.provider,
        customer_id=customer.id,
        state="pending",
        next_try_at=call_at,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():  # two rings at once: the unique index keeps one
            session.add(call)
    except IntegrityError:
        _merged(session, phone, now)
        return "merged"
    log.info("missed call from %s: called back at %s", mask_phone(phone), call_at.isoformat())
    return "call_back"


def _merged(session: Session, phone: str, now: dt.datetime) -> bool:
    """Count a ring on the call back waiting (or made within REPEAT_WINDOW), if there is one."""
    return bool(
        session.execute(
            update(OutboundCall)
            .where(
                OutboundCall.phone == phone,
                or_(
                    OutboundCall.state.in_(WAITING_CALL_STATES),
                    OutboundCall.created_at > now - REPEAT_WINDOW,
                ),
            )
            # updated_at is left alone: a ringing call back times out from when it began.
            .values(missed_calls=OutboundCall.missed_calls + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def when_to_call(market, now: dt.datetime, quiet: QuietHours) -> dt.datetime:
    """The first moment from `now` when the market is open and it is not the quiet hours."""
    moment = now
    for _ in range(4):  # the two rules settle within a day's turn
        opening = next_opening(market.opens_at, market.closes_at, market.timezone, moment)
        moment = opening.astimezone(dt.UTC) if opening is not None else moment
        allowed = quiet.next_allowed(moment)
        if allowed == moment:
            return moment
        moment = allowed
    return moment


# ------------------------------------------------------------------ placing the calls


class Caller(Protocol):
    """Places one call through a provider; returns the provider's id of the call."""

    def call(self, to: str, call_id: int) -> str: ...


@dataclass(frozen=True)
class CallClaim:
    call_id: int
    phone: str
    provider: str
    attempts: int
    worker_id: str


def claim_next_call(session: Session, *, now: dt.datetime, worker_id: str) -> CallClaim | None:
    """Claim the oldest due call back (`calling`), as outbox SMS are claimed."""
    rows = claim_due(
        session,
        OutboundCall,
        now=now,
        worker_id=worker_id,
        lease=CALL_LEASE,
        claimed_state="calling",
        returning=(
            OutboundCall.id,
            OutboundCall.phone,
            OutboundCall.provider,
            OutboundCall.attempts,
        ),
        updated_at=now,
    )
    return CallClaim(*rows[0], worker_id=worker_id) if rows else None


def place_due_calls(
    unit_of_work: Callable[[], AbstractContextManager[Session]],
    callers: dict[str, Caller],
    *,
    clock: Clock,
    worker_id: str,
    limit: int = 20,
) -> int:
    """Claim, place and record due call backs one at a time; returns how many now ring.

    As for the outbox: the provider is asked outside any transaction; a worker that dies
    between asking and recording leaves its claim to run out and the call to be placed again.
    """
    ringing = 0
    for _ in range(limit):
        with unit_of_work() as session:
            claim = claim_next_call(session, now=clock(), worker_id=worker_id)
        if claim is None:
            break
        if claim.attempts > MAX_CALL_ATTEMPTS:  # its last try died with its worker
            call_id, error = None, SendError("no answer after the last try", permanent=True)
        else:
            call_id, error = place_call(callers, claim)
        with unit_of_work() as session:
            record_call(session, claim, clock(), provider_call_id=call_id, error=error)
        ringing += error is None
    return ringing


def place_call(callers: dict[str, Caller], claim: CallClaim) -> tuple[str | None, SendError | None]:
    """Ask the provider to ring; any failure is an error to record, never a crash."""
    caller = callers.get(claim.provider)
    if caller is None:
        return None, SendError(f"no {claim.provider} caller configured", permanent=True)
    try:
        return caller.call(claim.phone, claim.call_id), None
    except SendError as exc:
        return None, exc
    except Exception as exc:  # a surprise in an SDK: this call waits, others go on
        log.exception("call back %s: unexpected error", claim.call_id)
        return None, SendError(f"unexpected {type(exc).__name__}: {exc}")


def record_call(
    session: Session,
    claim: CallClaim,
    now: dt.datetime,
    *,
    provider_call_id: str | None = None,
    error: SendError | None = None,
) -> None:
    """The provider rings (`ringing`, its id kept), or it failed: later, or `dead`."""
    if error is None and provider_call_id:
        values: dict[str, object] = {"state": "ringing", "provider_call_id": provider_call_id}
    else:
        error = error or SendError("no call id")
        last_try = error.permanent or claim.attempts >= MAX_CALL_ATTEMPTS
        values = {"state": "dead" if last_try else "pending", "last_error": str(error)[:500]}
        if not last_try:
            delay = CALL_BACKOFF_SECONDS[min(claim.attempts - 1, len(CALL_BACKOFF_SECONDS) - 1)]
            values["next_try_at"] = now + dt.timedelta(seconds=delay)
        else:
            log.warning(
                "call back %s to %s is dead: %s", claim.call_id, mask_phone(claim.phone), error
            )
    recorded = session.execute(
        update(OutboundCall)
        .where(
            OutboundCall.id == claim.call_id,
            OutboundCall.state == "calling",
            OutboundCall.claimed_by == claim.worker_id,
        )
        .values(claimed_by=None, lease_until=None, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if recorded and values["state"] == "dead":
        on_commit(session, CALLBACKS.labels("dead").inc)


def call_ended(session: Session, call: OutboundCall, *, answered: bool, now: dt.datetime) -> bool:
    """The call was answered, or ended unanswered; True only for the first word on it.

    An answer may come before the worker has recorded `ringing` (the provider was quick,
    the worker slow): it counts from `calling` too, and the worker's late record then
    changes nothing. An unanswered end that comes that early is left to the ringing
    timeout (`providers.missed_calls.time_out_ringing`).
    """
    states = ("calling", "ringing") if answered else ("ringing",)
    outcome = "answered" if answered else "unanswered"
    ended = session.execute(
        update(OutboundCall)
        .where(OutboundCall.id == call.id, OutboundCall.state.in_(states))
        .values(state=outcome, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if ended:
        on_commit(session, CALLBACKS.labels(outcome).inc)
    return bool(ended)


def retry_dead_call(session: Session, call_id: int, *, now: dt.datetime) -> str:
    """A dead call back tried again from the console (three more tries): "retrying",
    "not_dead" (it is not dead), or "newer_waiting" (a newer call back to that number
    is waiting already: one at a time)."""
    try:
        with session.begin_nested():
            moved = session.execute(
                update(OutboundCall)
                .where(OutboundCall.id == call_id, OutboundCall.state == "dead")
                .values(state="pending", attempts=0, next_try_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
    except IntegrityError:  # the unique index of waiting call backs
        return "newer_waiting"
    return "retrying" if moved else "not_dead"
