"""`GET /metrics`: Prometheus' text format, for whoever holds METRICS_TOKEN; and the hooks
that count and time every request.

What the processes counted (`telemetry/metrics.py`) is added up across processes when
PROMETHEUS_MULTIPROC_DIR is set (gunicorn, `make run`); what is true of the database right
now (the outbox's backlog, the last worker heartbeat, orders nobody took, the missed-call
number's last hour) is read from it at each scrape, so that every web process says the same.
The route answers 404 when METRICS_TOKEN is unset and to a request without the right
bearer token: nobody else learns it is there.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import struct
import time
from collections.abc import Iterator
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from domain.delivery import queries as delivery_queries
from domain.messaging import queries as messaging_queries
from domain.messaging.callbacks import COSTLY_OUTCOMES
from settings import Settings
from storage.database import Database
from telemetry.metrics import REQUEST_SECONDS, REQUESTS
from telemetry.multiprocess import locked
from web.current import current_database, current_settings, current_time

blueprint = Blueprint("metrics", __name__)
log = logging.getLogger(__name__)
UNMATCHED = "unmatched"  # a path no route has: one label for all of them


@blueprint.get("/metrics")
def metrics() -> Response:
    settings = current_settings()
    if not _allowed(settings):
        abort(404)
    try:
        counted = _counted(settings)
    except Exception as exc:  # a process's file being made or archived at this moment
        log.warning("metrics: the counts could not be read: %s: %s", type(exc).__name__, exc)
        return Response("Counts being rewritten: scrape again.\n", 503, mimetype="text/plain")
    now_true = CollectorRegistry(auto_describe=False)
    now_true.register(DatabaseFigures(current_database(), settings, current_time()))
    body = counted + generate_latest(now_true)
    return Response(body, mimetype=None, content_type=CONTENT_TYPE_PLAIN_0_0_4)


def _counted(settings: Settings) -> bytes:
    """What every process counted (this one alone without PROMETHEUS_MULTIPROC_DIR), in
    the text format; read again once if a file changed under the reading."""
    directory = settings.prometheus_multiproc_dir
    if not directory:
        return generate_latest(REGISTRY)
    try:
        return _every_process(directory)
    except (OSError, ValueError, struct.error):  # a file made or archived as it was read
        return _every_process(directory)


def _every_process(directory: str) -> bytes:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    with locked(Path(directory), shared=True):  # never while a start folds files
        return generate_latest(registry)


def _allowed(settings: Settings) -> bool:
    """Whether this request carries `Authorization: Bearer <METRICS_TOKEN>` (a token is set)."""
    if not settings.metrics_token:
        return False
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = settings.metrics_token.encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected)


class DatabaseFigures(Collector):
    """The gauges read from the database at each scrape (nothing when it does not answer:
    `telepasar_database_up` 0 says so)."""

    def __init__(self, database: Database, settings: Settings, now: dt.datetime) -> None:
        self.database, self.settings, self.now = database, settings, now

    def collect(self) -> Iterator[Metric]:
        try:
            figures = self._read()
        except SQLAlchemyError as exc:
            log.warning("metrics: the database does not answer: %s", type(exc).__name__)
            figures = None
        yield _gauge("telepasar_database_up", "1 when the database answered this scrape",
                     1 if figures is not None else 0)  # fmt: skip
        if figures is None:
            return
        for name, help_text, value in figures:
            if value is not None:
                yield _gauge(name, help_text, value)

    def _read(self) -> list[tuple[str, str, float | None]]:
        now, hour_ago = self.now, self.now - dt.timedelta(hours=1)
        with self.database.readers() as session:
            backlog, oldest_due = messaging_queries.outbox_backlog(session, now)
            last_beat = messaging_queries.last_heartbeat(session)
            unassigned = delivery_queries.orders_in_state(session, "unassigned")
            made = messaging_queries.rings_since(session, hour_ago, COSTLY_OUTCOMES)
        return [
            ("telepasar_outbox_backlog_messages", "SMS due and not sent yet", backlog),
            (
                "telepasar_outbox_oldest_due_age_seconds",
                "How long the oldest due SMS has waited (0: none waits)",
                _age(now, oldest_due) if oldest_due else 0,
            ),
            (
                "telepasar_worker_heartbeat_age_seconds",
                "Since a worker was last heard from (absent: never)",
                _age(now, last_beat) if last_beat else None,
            ),
            ("telepasar_orders_unassigned", "Orders nobody took: staff must give them", unassigned),
            (
                "telepasar_missed_call_last_hour",
                "How-to SMS and call backs the missed-call number made in the last hour",
                made,
            ),
            (
                "telepasar_missed_call_hourly_cap",
                "MISSED_CALL_HOURLY_CAP (absent: the missed-call number is off)",
                self.settings.missed_call_hourly_cap if self.settings.missed_call_enabled else None,
            ),
        ]


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=value)


def _age(now: dt.datetime, then: dt.datetime) -> float:
    return max(0.0, (now - then).total_seconds())


def count_requests(app: Flask) -> None:
    """Count every answer by route and status, and time it by route."""

    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        REQUESTS.labels(route, str(response.status_code)).inc()
        if "request_started" in g:
            REQUEST_SECONDS.labels(route).observe(time.perf_counter() - g.request_started)
        return response
