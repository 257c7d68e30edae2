"""`GET /healthz` and `/healthz/worker`: honest answers for a load balancer and for monitoring.

`/healthz` (is this web process of any use?) answers 503 with the reason when the schema is
not at the newest migration or the database cannot take a write within a second; 200
otherwise, with the outbox backlog and the last worker heartbeat. `/healthz/worker` (are SMS
going out?) answers 503 when a due message has waited too long or no worker is heard from.
Neither says a phone number, a token or an address.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from domain.messaging import queries as messaging_queries
from domain.messaging.callbacks import COSTLY_OUTCOMES
from storage.db import head_revision, probe_write, schema_revision
from web.current import current_database, current_settings, current_time

blueprint = Blueprint("health", __name__)
log = logging.getLogger(__name__)

WRITE_TIMEOUT_SECONDS = 1.0
OUTBOX_STUCK_AFTER = dt.timedelta(minutes=5)
WORKER_SILENT_AFTER = dt.timedelta(minutes=2)


@blueprint.get("/healthz")
def healthz():
    """200 when this process can serve requests; 503 with the reason when it cannot."""
    problem = _database_problem()
    if problem:
        return jsonify(status="error", reason=problem), 503
    try:
        figures = _outbox_figures()
    except SQLAlchemyError as exc:
        return _unreachable(exc)
    return jsonify(status="ok", database="ok", **figures)


@blueprint.get("/healthz/worker")
def worker_health():
    """200 while SMS go out in time; 503 when the outbox is stuck or no worker is heard from."""
    try:
        figures = _outbox_figures()
        if current_settings().missed_call_enabled:
            figures["missed_calls"] = _missed_call_figures()
    except SQLAlchemyError as exc:
        return _unreachable(exc)
    problems = []
    age = figures["oldest_due_seconds"]
    if age is not None and age > OUTBOX_STUCK_AFTER.total_seconds():
        problems.append(f"the oldest due SMS has waited {age} s (limit {_s(OUTBOX_STUCK_AFTER)})")
    heard = figures["worker_heard_seconds_ago"]
    if heard is None:
        problems.append("no worker has ever been heard from")
    elif heard > WORKER_SILENT_AFTER.total_seconds():
        problems.append(f"no worker heard from for {heard} s (limit {_s(WORKER_SILENT_AFTER)})")
    if problems:
        return jsonify(status="error", reason="; ".join(problems), **figures), 503
    return jsonify(status="ok", **figures)


def _database_problem() -> str | None:
    """Why the database cannot serve this process, or None when it can."""
    engine = current_database().engine
    try:
        current, head = schema_revision(engine), head_revision()
        if current != head:
            return (
                f"database schema is at {current or 'nothing'}, this code needs {head}: "
                "run `flask --app gateway migrate`"
            )
        probe_write(engine, timeout_seconds=WRITE_TIMEOUT_SECONDS)
    except SQLAlchemyError as exc:
        log.warning("health check: the database cannot take a write: %s", _first_line(exc))
        return f"database cannot take a write within {WRITE_TIMEOUT_SECONDS:g} s: {_cause(exc)}"
    return None


def _outbox_figures() -> dict[str, Any]:
    """The outbox backlog, its oldest due message's wait and the last worker heartbeat."""
    now = current_time()
    with current_database().readers() as session:
        backlog, oldest_due = messaging_queries.outbox_backlog(session, now)
        last_beat = messaging_queries.last_heartbeat(session)
    return {
        "outbox_backlog": backlog,
        "oldest_due_seconds": _seconds(now - oldest_due) if oldest_due else None,
        "worker_heartbeat": last_beat.isoformat() if last_beat else None,
        "worker_heard_seconds_ago": _seconds(now - last_beat) if last_beat else None,
    }


def _missed_call_figures() -> dict[str, Any]:
    """How many how-to SMS and call backs the missed-call number made in the last hour,
    against MISSED_CALL_HOURLY_CAP (reached: rings are logged and counted, nothing sent)."""
    now, cap = current_time(), current_settings().missed_call_hourly_cap
    with current_database().readers() as session:
        since = now - dt.timedelta(hours=1)
        made = messaging_queries.rings_since(session, since, COSTLY_OUTCOMES)
        capped = messaging_queries.rings_since(session, since, ("capped",))
    return {
        "last_hour": made,
        "hourly_cap": cap,
        "cap_reached": made >= cap,
        "rings_not_answered_for_the_cap": capped,
    }


def _unreachable(exc: SQLAlchemyError):
    log.warning("health check: the database does not answer: %s", _first_line(exc))
    return jsonify(status="error", reason=f"database does not answer: {_cause(exc)}"), 503


# The kinds of fault /healthz names, by words the drivers (sqlite3, psycopg) use. Anyone may
# read /healthz: it says the kind, never the driver's message (a host, a port, a user); the
# message goes to the log.
FAULT_KINDS = (
    (("locked", "lock timeout", "could not obtain lock"), "database locked"),
    (("readonly", "read-only", "read only"), "database read-only"),
    (("disk is full", "no space left", "database or disk is full"), "database disk full"),
    (
        (
            "unable to open",
            "connection",
            "could not connect",
            "could not translate host",
            "timeout expired",
            "server closed",
            "password authentication",
            "does not exist",
        ),
        "database unreachable",
    ),
)


def _cause(exc: SQLAlchemyError) -> str:
    """The kind of fault (`database locked`, `database unreachable`), without the driver's
    words: those may name the database's host, port and user."""
    original = getattr(exc, "orig", None)
    words = _first_line(original if original is not None else exc).lower()
    for markers, kind in FAULT_KINDS:
        if any(marker in words for marker in markers):
            return kind
    return "database error (see the log)"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _seconds(delta: dt.timedelta) -> int:
    return max(0, int(delta.total_seconds()))


def _s(delta: dt.timedelta) -> str:
    return f"{int(delta.total_seconds())} s"
