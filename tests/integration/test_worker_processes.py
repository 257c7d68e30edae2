"""Outbox workers as real processes on one database, as `make run` twice or a restart makes them.

Each test starts `flask --app gateway worker` processes that send through the real Twilio SDK
to the fake provider on 127.0.0.1, which counts what arrives. The workers tell time by the
machine's clock (the default clock), so the messages are enqueued as due by that clock.
"""

from __future__ import annotations

import datetime as dt
import re
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from domain.messaging.outbox import enqueue_sms
from settings import Settings
from storage.clock import system_clock
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import OutboundMessage
from tests import fake_providers
from tests.db_faults import write_lock_held
from tests.processes import Process, start_flask

PHONE = "+6281234567890"


@pytest.fixture
def fake() -> Iterator[fake_providers.FakeProviders]:
    server, stop = fake_providers.serve()
    yield server
    stop()


@pytest.fixture
def worker_settings(settings: Settings, fake) -> Settings:
    return replace(
        settings,
        sms_provider="twilio",
        twilio_account_sid=fake_providers.TWILIO_SID,
        twilio_auth_token=fake_providers.TWILIO_TOKEN,
        twilio_from_number="+15005550006",
        twilio_api_base_url=fake.url,
        worker_poll_seconds=0.05,
    )


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    """Start `flask --app gateway worker` with these settings; every one is ended after."""
    started: list[Process] = []

    def start(settings: Settings) -> Process:
        started.append(start_flask(settings, tmp_path / f"worker-{len(started) + 1}.log", "worker"))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def enqueue(settings: Settings, count: int) -> list[str]:
    """`count` messages, each a text of its own, due now by the machine's clock."""
    bodies = [f"Pesan uji {n:03d}" for n in range(count)]
    engine = make_engine(settings.database_url)
    with session_scope(make_session_factory(engine)) as session:
        for body in bodies:
            enqueue_sms(session, to=PHONE, body=body, kind="reply", now=system_clock())
    engine.dispose()
    return bodies


def outbox_states(settings: Settings) -> dict[str, int]:
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(OutboundMessage.state, func.count()).group_by(OutboundMessage.state)
        ).all()
    engine.dispose()
    return dict(rows)


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.05)


def stop(worker: Process) -> None:
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(timeout=15) == 0, worker.output()
    assert "Outbox worker stopped." in worker.output()


@pytest.mark.parametrize("workers", [2, 4])
def test_many_workers_send_every_message_exactly_once(workers, worker_settings, fake, start_worker):
    bodies = enqueue(worker_settings, 200)
    fake.delay = 0.02  # a provider takes a moment: the workers overlap (each claims 20 at once)
    running = [start_worker(worker_settings) for _ in range(workers)]

    wait_for(
        lambda: outbox_states(worker_settings) == {"sent": 200},
        seconds=90,
        what="all 200 messages to be sent",
    )
    for worker in running:
        stop(worker)

    counts = fake.bodies()
    assert sorted(counts) == bodies
    assert set(counts.values()) == {1}, {b: n for b, n in counts.items() if n > 1}
    sending = [w for w in running if re.search(r"Outbox: [1-9]\d* sent", w.output())]
    assert len(sending) >= 2  # the work was shared, not done by one while others idled


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_at_most_one(
    worker_settings, fake, start_worker
):
    settings = replace(worker_settings, provider_timeout_seconds=1, outbox_lease_seconds=2)
    bodies = enqueue(settings, 200)
    fake.delay = 0.01
    first = start_worker(settings)
    wait_for(lambda: len(fake.received) >= 60, seconds=60, what="60 messages sent")
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    assert len(fake.received) < 200  # killed in the middle, not after the end

    second = start_worker(settings)
    wait_for(
        lambda: outbox_states(settings) == {"sent": 200},
        seconds=90,
        what="the restarted worker to send the rest",
    )
    stop(second)

    counts = fake.bodies()
    assert sorted(counts) == bodies  # nothing lost
    assert sum(counts.values()) - 200 <= 1  # at most the message in flight went twice


def test_a_worker_outlives_a_locked_database_and_a_provider_answering_nonsense(
    worker_settings, fake, start_worker
):
    settings = replace(worker_settings, database_lock_wait_seconds=0.5)
    bodies = enqueue(settings, 20)
    fake.garble_next = 3  # three answers no SDK can read: unexpected exceptions

    with write_lock_held(settings):  # longer than the worker waits for a lock, many times
        worker = start_worker(settings)
        time.sleep(4)
        assert worker.process.poll() is None, worker.output()

    wait_for(lambda: outbox_states(settings).get("sent") == 17, seconds=30, what="17 messages sent")
    assert outbox_states(settings) == {"sent": 17, "pending": 3}
    # The three are retried after their backoff; let that time pass for them.
    engine = make_engine(settings.database_url)
    with session_scope(make_session_factory(engine)) as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.state == "pending")
            .values(next_try_at=system_clock() - dt.timedelta(seconds=1))
        )
    engine.dispose()
    wait_for(lambda: outbox_states(settings) == {"sent": 20}, seconds=30, what="all 20 to be sent")

    assert worker.process.poll() is None  # still running after both faults
    stop(worker)
    output = worker.output()
    assert "worker pass failed (1 in a row), trying again in 1 s" in output
    assert re.search("database is locked|lock timeout", output)  # SQLite's, PostgreSQL's words
    assert output.count("unexpected error") == 3
    assert "6281234567890" not in output  # the log masks numbers
    assert sorted(fake.bodies()) == bodies and set(fake.bodies().values()) == {1}
