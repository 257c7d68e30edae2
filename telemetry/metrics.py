"""Every metric Telepasar counts, named for the question it answers (docs/OPERATIONS.md,
Metrics, lists them with their questions).

The counters and histograms live in the process that counts them. Under gunicorn, and for
`make run`'s gateway and worker, `PROMETHEUS_MULTIPROC_DIR` is set before this module is
first imported (`gateway/gunicorn_conf.py`, `gateway/devrun.py`) and `prometheus_client`
keeps each process's values in a file of that directory; `/metrics` adds them up. Without
it (tests, one `flask run`), they are this process's own.

Labels take few values: a route's rule, a channel, a market's code, a provider, an
outcome. Never a phone number, an order number or anything a caller types.

A fact that a transaction writes (an order placed, an offer taken) is counted only once
that transaction commits (`on_commit`): a retried or rolled-back transaction counts
nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from prometheus_client import Counter, Histogram, disable_created_metrics
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from settings import shared_metrics_directory

log = logging.getLogger(__name__)
disable_created_metrics()  # a `_created` series beside each counter only doubles the scrape
# prometheus_client writes a process's first file there the moment a metric is made: a
# directory set but missing (a worker started before gunicorn made it) is created first.
shared_metrics_directory()

# Seconds: a web request or a menu hop (a provider gives up after about 15 s).
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0)
# Seconds: from an order's first offer until a courier takes it.
TAKING_BUCKETS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
# Seconds: one pass of the worker (a batch of SMS at a provider's pace).
PASS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

REQUESTS = Counter(
    "telepasar_http_requests",
    "Requests answered, by route (the rule, not the path) and status",
    ["route", "status"],
)
REQUEST_SECONDS = Histogram(
    "telepasar_http_request_duration_seconds",
    "How long a request took to answer, by route",
    ["route"],
    buckets=REQUEST_BUCKETS,
)
HOP_SECONDS = Histogram(
    "telepasar_menu_hop_duration_seconds",
    "Menu hops (a USSD screen, a voice step, a numbered-menu SMS) and how long each took, "
    "by channel",
    ["channel"],
    buckets=REQUEST_BUCKETS,
)
ORDERS_PLACED = Counter(
    "telepasar_orders_placed",
    "Orders placed, by channel and market code",
    ["channel", "market"],
)
OFFERS_SENT = Counter("telepasar_courier_offers_sent", "Job offers sent to couriers")
OFFERS_ACCEPTED = Counter("telepasar_courier_offers_accepted", "Job offers a courier took")
OFFERS_EXPIRED = Counter(
    "telepasar_courier_offers_expired", "Job offers nobody answered in time (closed)"
)
TAKEN_AFTER_SECONDS = Histogram(
    "telepasar_order_taken_after_seconds",
    "How long an order waited, from its first offer, until a courier took it",
    buckets=TAKING_BUCKETS,
)
SMS_SENT = Counter("telepasar_sms_sent", "SMS a provider took from us, by provider", ["provider"])
SMS_SEGMENTS = Counter(
    "telepasar_sms_segments_sent",
    "SMS segments a provider took from us (what a provider bills), by provider",
    ["provider"],
)
SMS_COST = Counter(
    "telepasar_sms_cost_rupiah",
    "What the SMS sent cost, in rupiah at SMS_PRICE_RUPIAH, by provider",
    ["provider"],
)
SMS_FAILED = Counter(
    "telepasar_sms_failed", "SMS sends that failed and wait to be tried again", ["provider"]
)
SMS_DEAD = Counter("telepasar_sms_dead", "SMS given up after their last try", ["provider"])
INBOUND_STORED = Counter(
    "telepasar_inbound_messages_stored",
    "SMS received and stored (a provider's retry of one stored already not counted)",
    ["provider"],
)
INBOUND_REFUSED = Counter(
    "telepasar_inbound_messages_refused",
    "SMS a provider gave us that we answered 503 (not stored, or still being handled)",
    ["provider"],
)
CALLBACKS = Counter(
    "telepasar_callbacks",
    "Call backs to missed callers that ended, by outcome",
    ["outcome"],
)
MISSED_RINGS = Counter(
    "telepasar_missed_call_rings",
    "Rings on the missed-call number, by what they led to (capped: the hourly cap held it)",
    ["outcome"],
)
WORKER_PASS_SECONDS = Histogram(
    "telepasar_worker_pass_duration_seconds",
    "How long one pass of the worker took (inbox, sweep, call backs, outbox)",
    buckets=PASS_BUCKETS,
)
LOGIN_FAILURES = Counter(
    "telepasar_console_login_failures",
    "Console logins refused, by reason (wrong: password or name; disabled; throttled)",
    ["reason"],
)

_AFTER_COMMIT = "telepasar_after_commit"


def on_commit(session: Session, count: Callable[[], object]) -> None:
    """Run `count` once `session`'s transaction commits; never if it (or the savepoint it
    was registered in) rolls back."""
    if not session.in_transaction():
        session.begin()  # what its first statement would do: `count` belongs to this one
    within = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_AFTER_COMMIT, []).append((within, count))


@event.listens_for(Session, "after_commit")
def _counted(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction goes on
        return
    for _, count in session.info.pop(_AFTER_COMMIT, ()):
        try:
            count()
        except Exception:  # the metrics file cannot grow (disk full): the commit stands
            log.exception("a metric could not be counted")


@event.listens_for(Session, "after_soft_rollback")
def _forgotten(session: Session, rolled_back: SessionTransaction) -> None:
    """A rollback: what was registered inside the transaction or savepoint that rolled back
    (or inside one of its savepoints) is never counted; what came before it still may be."""
    pending = session.info.get(_AFTER_COMMIT)
    if pending:
        pending[:] = [(t, c) for t, c in pending if not _inside(t, rolled_back)]


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    """The session's outermost transaction ended without a commit (closed): nothing of it
    is carried over to the session's next transaction."""
    if transaction.parent is None:
        session.info.pop(_AFTER_COMMIT, None)


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False
