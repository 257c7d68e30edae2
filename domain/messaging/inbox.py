"""The inbox: every inbound SMS is stored before the provider is told it arrived.

`store_inbound` writes it (a provider's retry of the same message id is recognised and
stored once); the SMS channel then handles it, in the web request or later in the worker;
`note_failed_handling` counts a failed try and schedules the next, or gives up (`dead`).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import update
from sqlalchemy.orm import Session

from domain.messaging import queries
from domain.phones import mask_phone
from storage.models import InboundMessage

log = logging.getLogger(__name__)

# A stored SMS the web request could not handle waits this long before the worker tries (so
# the worker does not race the request that is handling it right now), then backs off.
INBOX_GRACE = dt.timedelta(seconds=10)
INBOX_BACKOFF_SECONDS = (10, 30, 60, 300, 900)


def store_inbound(
    session: Session, *, provider: str, message_id: str, phone: str, body: str, now: dt.datetime
) -> int | None:
    """Put one inbound SMS in the inbox, to be handled; its id, or None for a provider's retry.

    The caller commits this before it acknowledges the message to the provider: what is
    acknowledged is never lost.
    """
    if queries.inbound_message(session, provider, message_id) is not None:
        return None  # a provider retry: stored already, handled (or waiting) already
    message = InboundMessage(
        provider=provider,
        provider_message_id=message_id,
        phone=phone,
        body=body,
        received_at=now,
        state="pending",
        attempts=0,
        next_try_at=now + INBOX_GRACE,
    )
    session.add(message)
    session.flush()
    return message.id


def take_for_handling(
    session: Session, inbound_id: int, *, now: dt.datetime
) -> InboundMessage | None:
    """Take a stored SMS from `pending` to `handled`; None when someone took it already.

    One conditional UPDATE, never read-then-write: of a web request and any number of
    workers, exactly one gets the message. The caller's transaction handles it; if that
    rolls back, the message is pending again.
    """
    taken = session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id, InboundMessage.state == "pending")
        .values(state="handled", handled_at=now, attempts=InboundMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    return session.get(InboundMessage, inbound_id) if taken else None


HELD_BACK = "held back: too many SMS from this number"


def hold_back(session: Session, message: InboundMessage, *, until: dt.datetime) -> None:
    """Put a message just taken back to `pending`, to be handled at `until` (a flood)."""
    message.last_error = HELD_BACK
    message.state = "pending"
    message.handled_at = None
    message.attempts = max(0, message.attempts - 1)
    message.next_try_at = until


def drop_flood(message: InboundMessage, *, reason: str) -> None:
    """A message beyond what one number may have held back: never handled, and said why."""
    message.state = "dead"
    message.last_error = reason


def note_failed_handling(
    session: Session, inbound_id: int, error: str, *, now: dt.datetime, max_attempts: int
) -> None:
    """Count a failed try at handling a stored SMS: try again later, or give up (`dead`)."""
    message = session.get(InboundMessage, inbound_id)
    if message is None or message.state != "pending":
        return
    message.attempts += 1
    message.last_error = error[:500]
    if message.attempts >= max_attempts:
        message.state = "dead"
        log.error(
            "SMS %s from %s could not be handled after %d tries: %s",
            message.id,
            mask_phone(message.phone),
            message.attempts,
            error,
        )
        return
    delay = INBOX_BACKOFF_SECONDS[min(message.attempts - 1, len(INBOX_BACKOFF_SECONDS) - 1)]
    message.next_try_at = now + dt.timedelta(seconds=delay)
