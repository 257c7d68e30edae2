"""Retention: the rows that only tell the past, removed once they are old (the worker, once
an hour; docs/OPERATIONS.md, Retention).

Each kind has its RETAIN_*_DAYS setting. What is removed, and only that:

- SMS received that were handled (`handled`, `handled_at` older): never one still pending,
  and never a dead one, which staff may still want to read;
- delivery reports received before then, applied or not (a report still unapplied after
  days has no message left to wait for);
- conversations untouched (`updated_at`) since then: done, replaced by a newer call of the
  same number, or left (a left basket is offered again for minutes only);
- worker heartbeats not renewed since then (a worker that stopped long ago);
- console login tries older than that (the login throttle looks back 15 minutes).

Orders, their lines, offers, the money's movements, the outbox and every customer, courier
and trader are never removed here. Rows go in batches of `BATCH` (each its own short
transaction), so that a first prune of a long-kept table never holds the write lock long.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import InstrumentedAttribute

from storage.database import Database
from storage.models import (
    Conversation,
    DeliveryReport,
    InboundMessage,
    LoginFailure,
    WorkerHeartbeat,
)

log = logging.getLogger(__name__)
BATCH = 5000


@dataclass(frozen=True)
class Kind:
    """One kind of row the worker removes when old: what it is called in the log, its
    setting, its key, and which of its rows are old at `cutoff`."""

    label: str  # "handled SMS received": what the log line says
    setting: str  # the Settings field of its days
    key: InstrumentedAttribute
    old: Callable[[dt.datetime], ColumnElement[bool]]


KINDS = (
    Kind(
        "handled SMS received",
        "retain_inbound_days",
        InboundMessage.id,
        lambda cutoff: (InboundMessage.state == "handled") & (InboundMessage.handled_at < cutoff),
    ),
    Kind(
        "delivery reports",
        "retain_delivery_reports_days",
        DeliveryReport.id,
        lambda cutoff: DeliveryReport.received_at < cutoff,
    ),
    Kind(
        "finished conversations",
        "retain_conversations_days",
        Conversation.id,
        # Done, replaced, or left: a session untouched for days is over (a left basket is
        # offered again for minutes, an SMS menu waits half an hour).
        lambda cutoff: Conversation.updated_at < cutoff,
    ),
    Kind(
        "worker heartbeats",
        "retain_heartbeats_days",
        WorkerHeartbeat.worker_id,
        lambda cutoff: WorkerHeartbeat.beat_at < cutoff,
    ),
    Kind(
        "console login tries",
        "retain_login_failures_days",
        LoginFailure.id,
        lambda cutoff: LoginFailure.at < cutoff,
    ),
)


def prune(
    database: Database, days: dict[str, int], *, now: dt.datetime
) -> tuple[dict[str, int], list[str]]:
    """Remove every kind's rows older than its days (`days` by setting name). Returns how
    many of each went, by label (only the kinds that lost rows), and the labels of the
    kinds that failed (logged; the others are pruned all the same)."""
    removed, failed = {}, []
    for kind in KINDS:
        count = 0
        try:
            cutoff = now - dt.timedelta(days=days[kind.setting])
            for gone in _batches(database, kind, cutoff):
                count += gone
        except Exception:
            log.exception("retention: removing old %s failed", kind.label)
            failed.append(kind.label)
        if count:  # batches removed before a failure are said too
            removed[kind.label] = count
    return removed, failed


def _batches(database: Database, kind: Kind, cutoff: dt.datetime) -> Iterator[int]:
    """Remove the old rows of `kind` a batch at a time; yields each batch's count. The
    keys are read without the write lock (a scan never holds up a hop); the DELETE asks
    again that each row is old, so a row touched meanwhile stays."""
    while True:
        with database.readers() as session:
            keys = session.scalars(select(kind.key).where(kind.old(cutoff)).limit(BATCH)).all()
        if not keys:
            return
        with database.unit_of_work() as session:
            gone = session.execute(
                delete(kind.key.class_)
                .where(kind.key.in_(keys), kind.old(cutoff))
                .execution_options(synchronize_session=False)
            ).rowcount
        yield gone
        if len(keys) < BATCH:
            return
