"""The worker's hourly pruning: old rows that only tell the past go, each kind after its
RETAIN_*_DAYS; nothing younger is touched, and orders, their lines and the money never are."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from domain.messaging.outbox import enqueue_sms
from gateway.worker import Worker
from providers.senders import make_sender
from storage import retention
from storage.models import (
    Conversation,
    DeliveryReport,
    InboundMessage,
    LoginFailure,
    Movement,
    Offer,
    Order,
    OrderLine,
    OutboundMessage,
    WorkerHeartbeat,
)
from tests.conftest import MARKET_OPEN
from tests.integration.test_ussd_order import order_tomatoes_and_rice
from tests.ussd import UssdSession, option_key

DAY = dt.timedelta(days=1)
KEPT_TABLES = (Order, OrderLine, Offer, Movement, OutboundMessage)


def rows_of(app) -> dict[str, list[str]]:
    """The test's rows of each prunable kind, by the name they were given."""
    with app.extensions["telepasar_db"].readers() as session:
        return {
            "inbound": sorted(session.scalars(select(InboundMessage.provider_message_id))),
            "reports": sorted(session.scalars(select(DeliveryReport.provider_message_id))),
            "conversations": sorted(session.scalars(select(Conversation.session_key))),
            "heartbeats": sorted(
                session.scalars(
                    select(WorkerHeartbeat.worker_id).where(WorkerHeartbeat.worker_id.like("w-%"))
                )
            ),
            "logins": sorted(session.scalars(select(LoginFailure.username))),
        }


def ids_of(app) -> dict[str, set[int]]:
    """The ids of every row of the tables pruning never touches."""
    with app.extensions["telepasar_db"].readers() as session:
        return {
            model.__tablename__: set(session.scalars(select(model.id))) for model in KEPT_TABLES
        }


def either_side(days: int) -> list[tuple[str, dt.timedelta]]:
    """A day past `days` ("old") and a day short of it (half a day when `days` is 1)."""
    return [("old", (days + 1) * DAY), ("young", (days - min(1, days / 2)) * DAY)]


def add_rows(app, now: dt.datetime, settings) -> None:
    """Each kind: one a day past its retention, one a day short of it (and, for the SMS
    received, an old one still pending and an old dead one)."""
    keep = settings.retention_days()
    phone = "+6281200000001"
    with app.extensions["telepasar_db"].unit_of_work() as session:
        for name, age in either_side(keep["retain_inbound_days"]):
            session.add(
                InboundMessage(
                    provider="twilio",
                    provider_message_id=f"in-{name}",
                    phone=phone,
                    body="PASAR",
                    received_at=now - age,
                    state="handled",
                    handled_at=now - age,
                )
            )
        for state in ("pending", "dead"):
            session.add(
                InboundMessage(
                    provider="twilio",
                    provider_message_id=f"in-{state}",
                    phone=phone,
                    body="PASAR",
                    received_at=now - 1000 * DAY,
                    state=state,
                )
            )
        for name, age in either_side(keep["retain_delivery_reports_days"]):
            session.add(
                DeliveryReport(
                    provider="twilio",
                    provider_message_id=f"dr-{name}",
                    delivered=True,
                    received_at=now - age,
                )
            )
        for name, age in either_side(keep["retain_conversations_days"]):
            for status in ("done", "active"):
                session.add(
                    Conversation(
                        channel="ussd",
                        session_key=f"c-{name}-{status}",
                        phone=phone,
                        state={},
                        status=status,
                        created_at=now - age,
                        updated_at=now - age,
                    )
                )
        for name, age in either_side(keep["retain_heartbeats_days"]):
            session.add(
                WorkerHeartbeat(worker_id=f"w-{name}", started_at=now - age, beat_at=now - age)
            )
        for name, age in either_side(keep["retain_login_failures_days"]):
            session.add(LoginFailure(username=f"l-{name}", address="10.0.0.1", at=now - age))


def test_the_worker_removes_old_rows_only_and_never_an_order(
    make_app, settings, clock, courier_on_duty, caplog
):
    settings = replace(settings, retain_inbound_days=60, retain_conversations_days=14)
    app = make_app(settings)
    ussd = UssdSession(app.test_client(), session_id="ATUid_kept")
    ussd.press(option_key(order_tomatoes_and_rice(ussd), "Pesan sekarang"))
    clock.now = MARKET_OPEN + 400 * DAY  # the order, its offer and SMS are a year old now
    add_rows(app, clock.now, settings)
    kept = ids_of(app)
    worker = Worker(app.extensions["telepasar_db"], make_sender(settings), settings, clock)

    with caplog.at_level(logging.INFO, logger="gateway.worker"):
        worker.run_once()

    assert rows_of(app) == {
        "inbound": ["in-dead", "in-pending", "in-young"],
        "reports": ["dr-young"],
        "conversations": ["c-young-active", "c-young-done"],  # the order's call is old too
        "heartbeats": ["w-young"],
        "logins": ["l-young"],
    }
    after = ids_of(app)  # (the pass's sweep offered the old order again: more, never fewer)
    assert all(kept[table] <= after[table] for table in kept)
    assert (len(kept["orders"]), len(kept["order_lines"]), len(kept["offers"])) == (1, 2, 1)
    (said,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retention")]
    assert said == (
        "retention: removed 1 handled SMS received, 1 delivery reports, "
        "3 finished conversations, 1 worker heartbeats, 1 console login tries "
        "(older than their RETAIN_*_DAYS)"
    )


def test_pruning_runs_once_an_hour(make_app, settings, clock):
    app = make_app(settings)
    worker = Worker(app.extensions["telepasar_db"], make_sender(settings), settings, clock)
    worker.run_once()  # the first pass prunes (nothing to remove yet)
    add_rows(app, clock.now, settings)

    clock.now += dt.timedelta(minutes=59)
    worker.run_once()
    within_the_hour = rows_of(app)
    clock.now += dt.timedelta(minutes=2)
    worker.run_once()

    assert "in-old" in within_the_hour["inbound"]  # not yet: pruned less than an hour ago
    assert "in-old" not in rows_of(app)["inbound"]
    assert "in-young" in rows_of(app)["inbound"]


def test_a_kind_that_fails_is_logged_and_the_rest_still_go(
    make_app, settings, clock, caplog, monkeypatch
):
    app = make_app(settings)
    add_rows(app, clock.now, settings)
    worker = Worker(app.extensions["telepasar_db"], make_sender(settings), settings, clock)
    batches = retention._batches

    def reports_fail(database, kind, cutoff):
        if kind.label == "delivery reports":
            raise OperationalError("DELETE", {}, Exception("disk I/O error"))
        return batches(database, kind, cutoff)

    monkeypatch.setattr(retention, "_batches", reports_fail)
    with app.extensions["telepasar_db"].unit_of_work() as session:
        enqueue_sms(session, to="+6281234567890", body="Halo", kind="reply", now=clock.now)
    with caplog.at_level(logging.INFO):
        report = worker.run_once()

    assert report.outbox.sent == 1  # the SMS went all the same
    rows = rows_of(app)
    assert rows["reports"] == ["dr-old", "dr-young"]  # the failed kind: tried again later
    assert rows["inbound"] == ["in-dead", "in-pending", "in-young"]  # the others pruned
    said = [r.getMessage() for r in caplog.records if "retention" in r.getMessage()]
    assert said[0] == "retention: removing old delivery reports failed"
    assert said[1] == "retention: delivery reports not removed; trying again in an hour"
    assert said[2].startswith("retention: removed 1 handled SMS received, 2 finished")
