"""The outbox worker: due SMS go through the sender; failures retry with backoff, then die."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.messaging.outbox import (
    BACKOFF_SECONDS,
    OutboxPolicy,
    SendError,
    SentMessage,
    claim_due_messages,
    claim_next,
    deliver_due,
    enqueue_sms,
    record_outcome,
)
from providers.senders import LogSender
from providers.twilio_sms import TwilioSender
from storage.models import OutboundMessage
from tests import fake_providers
from tests.ussd import UssdSession

PHONE = "+6281234567890"


class FlakySender:
    """Fails the first `failures` sends, then accepts; remembers what it was given."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> SentMessage:
        if self.failures:
            self.failures -= 1
            raise SendError("provider answered 503")
        self.sent.append((to, body))
        return SentMessage(provider_message_id=f"SM{len(self.sent)}")


def test_the_worker_command_prints_the_confirmation_sms_and_marks_it_sent(app, client, db: Session):
    ussd = UssdSession(client)
    ussd.press("1", "1", "1", "4", "2", "3", "Ni Made Sari", "Banjar Kauh, Amlapura")
    ussd.press("1")

    result = app.test_cli_runner().invoke(args=["worker", "--once"])

    assert result.exit_code == 0, result.output
    assert "[SMS to +62812****7890] Telepasar: Pesanan " in result.output
    assert "6281234567890" not in result.output  # logs never show a whole number
    # No courier is registered: the order was unassigned at once, and its confirmation says
    # that staff will call.
    assert "Outbox: 1 sent, 0 to retry." in result.output
    assert "Belum ada kurir yang siap: petugas kami akan menelepon Anda." in result.output
    sms = db.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).first()
    assert (sms.state, sms.attempts) == ("sent", 1)
    assert sms.provider_message_id.startswith("log-")
    again = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert "[SMS to" not in again.output  # sent once only


POLICY = OutboxPolicy(max_attempts=6, lease=dt.timedelta(seconds=60))


def deliver(db: Session, sender, clock, *, policy: OutboxPolicy = POLICY, worker_id: str = "w1"):
    """One pass of `deliver_due` on the test's session; returns (sent, failed)."""
    count = deliver_due(
        lambda: nullcontext(db), sender, clock=clock, policy=policy, worker_id=worker_id
    )
    return count.sent, count.failed


def test_a_failed_send_is_retried_with_backoff_then_sent(db: Session, clock):
    enqueue_sms(db, to=PHONE, body="Halo", kind="reply", now=clock.now)
    db.flush()
    sender = FlakySender(failures=2)
    clock.now += dt.timedelta(seconds=1)
    first = clock.now

    assert deliver(db, sender, clock) == (0, 1)
    message = db.scalars(select(OutboundMessage)).one()
    db.refresh(message)
    assert message.state == "pending" and message.last_error == "provider answered 503"
    assert message.next_try_at == first + dt.timedelta(seconds=BACKOFF_SECONDS[0])
    assert deliver(db, sender, clock) == (0, 0)  # not due yet

    clock.now = message.next_try_at
    assert deliver(db, sender, clock) == (0, 1)
    db.refresh(message)
    assert message.next_try_at == clock.now + dt.timedelta(seconds=BACKOFF_SECONDS[1])
    clock.now = message.next_try_at
    assert deliver(db, sender, clock) == (1, 0)
    db.refresh(message)
    assert (message.state, message.attempts, message.last_error) == ("sent", 3, None)
    assert message.claimed_by is None and message.lease_until is None
    assert sender.sent == [(PHONE, "Halo")]


def test_after_the_last_try_a_message_is_dead(db: Session, clock):
    enqueue_sms(db, to=PHONE, body="Halo", kind="reply", now=clock.now)
    db.flush()
    sender = FlakySender(failures=99)
    policy = OutboxPolicy(max_attempts=3, lease=dt.timedelta(seconds=60))
    for _ in range(3):
        deliver(db, sender, clock, policy=policy)
        clock.now += dt.timedelta(hours=1)
    message = db.scalars(select(OutboundMessage)).one()
    db.refresh(message)
    assert (message.state, message.attempts) == ("dead", 3)
    assert deliver(db, sender, clock, policy=policy) == (0, 0)


def test_a_sender_that_raises_anything_costs_that_message_one_try_and_no_more(db, clock, caplog):
    for body in ("satu", "dua", "tiga"):
        enqueue_sms(db, to=PHONE, body=body, kind="reply", now=clock.now)
    db.flush()

    class SurprisingSender(FlakySender):
        def send(self, to: str, body: str) -> SentMessage:
            if body == "dua":
                raise KeyError("Recipients")  # an SDK reading an answer it did not expect
            return super().send(to, body)

    sender = SurprisingSender(failures=0)
    assert deliver(db, sender, clock) == (2, 1)
    assert sender.sent == [(PHONE, "satu"), (PHONE, "tiga")]
    failed = db.scalars(select(OutboundMessage).where(OutboundMessage.body == "dua")).one()
    db.refresh(failed)
    assert (failed.state, failed.attempts) == ("pending", 1)
    assert failed.last_error == "unexpected KeyError: 'Recipients'"
    assert "6281234567890" not in caplog.text and "+62812****7890" in caplog.text


def test_a_claimed_message_is_not_claimed_again_until_its_lease_runs_out(db: Session, clock):
    enqueue_sms(db, to=PHONE, body="Halo", kind="reply", now=clock.now)
    db.flush()
    policy = OutboxPolicy(max_attempts=6, lease=dt.timedelta(seconds=60))

    first = claim_next(db, now=clock.now, policy=policy, worker_id="w1")
    assert first is not None and first.attempts == 1
    assert claim_next(db, now=clock.now, policy=policy, worker_id="w2") is None

    # w1 died mid-send: once its lease has run out, w2 takes the message over.
    clock.now += dt.timedelta(seconds=61)
    second = claim_next(db, now=clock.now, policy=policy, worker_id="w2")
    assert second is not None and (second.message_id, second.attempts) == (first.message_id, 2)


def test_a_batch_claims_as_many_as_asked_and_no_more(db: Session, clock):
    # One session here; PostgreSQL's over-claim under concurrent workers (the reason for the
    # materialized CTE) shows in test_worker_processes.py's many-workers test.
    for n in range(30):
        enqueue_sms(db, to=PHONE, body=f"Halo {n}", kind="reply", now=clock.now)
    db.flush()
    policy = OutboxPolicy(max_attempts=6, lease=dt.timedelta(seconds=60))
    claims = claim_due_messages(db, now=clock.now, policy=policy, worker_id="w1", limit=20)
    again = claim_due_messages(db, now=clock.now, policy=policy, worker_id="w2", limit=20)
    assert [c.body for c in claims] == [f"Halo {n}" for n in range(20)]  # the oldest first
    assert [c.body for c in again] == [f"Halo {n}" for n in range(20, 30)]
    states = db.scalars(select(OutboundMessage.claimed_by).order_by(OutboundMessage.id)).all()
    assert states == ["w1"] * 20 + ["w2"] * 10


class Killed(BaseException):
    """The worker process dying mid-send (kill -9, out of memory): nothing after it runs."""


class DyingSender(FlakySender):
    """Dies on its first `deaths` sends, then sends."""

    def __init__(self, deaths: int) -> None:
        super().__init__(failures=0)
        self.deaths = deaths

    def send(self, to: str, body: str) -> SentMessage:
        if self.deaths:
            self.deaths -= 1
            raise Killed
        return super().send(to, body)


def test_a_worker_dying_mid_batch_uses_no_try_of_the_messages_it_never_sent(db: Session, clock):
    """Only the message in flight has its try counted: the rest of a dead worker's batch
    is sent later with all its tries, however often workers die."""
    for n in range(3):
        enqueue_sms(db, to=PHONE, body=f"Halo {n}", kind="reply", now=clock.now)
    db.flush()
    policy = OutboxPolicy(max_attempts=2, lease=dt.timedelta(seconds=60))
    for _ in range(2):  # the first message kills its worker twice
        with pytest.raises(Killed):
            deliver(db, DyingSender(deaths=1), clock, policy=policy)
        clock.now += dt.timedelta(seconds=61)  # its lease runs out

    sender = DyingSender(deaths=0)
    assert deliver(db, sender, clock, policy=policy) == (2, 1)
    rows = db.execute(
        select(OutboundMessage.body, OutboundMessage.state, OutboundMessage.attempts).order_by(
            OutboundMessage.id
        )
    ).all()
    assert [tuple(row) for row in rows] == [
        ("Halo 0", "dead", 3),  # its last try died with its worker: not sent a third time
        ("Halo 1", "sent", 1),
        ("Halo 2", "sent", 1),
    ]
    assert [body for _, body in sender.sent] == ["Halo 1", "Halo 2"]


class SlowSender(FlakySender):
    """A provider that takes `seconds` of the test's clock to answer each send, and runs
    `meanwhile` during its send number `at` (another worker's pass)."""

    def __init__(self, clock, seconds: float, *, at: int = 0, meanwhile=None) -> None:
        super().__init__(failures=0)
        self.clock, self.seconds, self.at, self.meanwhile = clock, seconds, at, meanwhile

    def send(self, to: str, body: str) -> SentMessage:
        self.clock.now += dt.timedelta(seconds=self.seconds)
        if len(self.sent) + 1 == self.at and self.meanwhile:
            self.meanwhile()
        return super().send(to, body)


def test_a_message_whose_lease_ran_out_while_it_waited_in_a_batch_is_sent_once(db: Session, clock):
    """Each message gets a whole lease just before its send; one that waited in a slow
    batch until its lease ran out and was taken by another worker is skipped, not sent
    twice."""
    for n in range(3):
        enqueue_sms(db, to=PHONE, body=f"Halo {n}", kind="reply", now=clock.now)
    db.flush()
    policy = OutboxPolicy(max_attempts=6, lease=dt.timedelta(seconds=60), batch=3)
    other = FlakySender(failures=0)
    # W1 claims all three at 0 s; each send takes 40 s. During its second send (80 s) the
    # third message's lease (60 s) has run out and W2 takes it.
    slow = SlowSender(
        clock,
        40,
        at=2,
        meanwhile=lambda: deliver(db, other, clock, policy=policy, worker_id="w2"),
    )
    assert deliver(db, slow, clock, policy=policy, worker_id="w1") == (2, 0)
    assert [body for _, body in slow.sent] == ["Halo 0", "Halo 1"]
    assert [body for _, body in other.sent] == ["Halo 2"]
    states = db.scalars(select(OutboundMessage.state)).all()
    assert states == ["sent"] * 3


def test_an_outcome_is_not_recorded_under_a_claim_that_was_lost(db: Session, clock):
    enqueue_sms(db, to=PHONE, body="Halo", kind="reply", now=clock.now)
    db.flush()
    policy = OutboxPolicy(max_attempts=6, lease=dt.timedelta(seconds=10))
    slow = claim_next(db, now=clock.now, policy=policy, worker_id="slow")
    clock.now += dt.timedelta(seconds=11)
    assert deliver(db, FlakySender(failures=0), clock, policy=policy, worker_id="fast") == (1, 0)

    record_outcome(db, slow, clock.now, policy, error=SendError("timed out"))
    message = db.scalars(select(OutboundMessage)).one()
    db.refresh(message)
    assert (message.state, message.last_error) == ("sent", None)  # the slow worker's news lost


def test_a_message_whose_last_try_died_with_its_worker_is_dead(db: Session, clock):
    enqueue_sms(db, to=PHONE, body="Halo", kind="reply", now=clock.now)
    db.flush()
    policy = OutboxPolicy(max_attempts=1, lease=dt.timedelta(seconds=10))
    assert claim_next(db, now=clock.now, policy=policy, worker_id="killed") is not None
    clock.now += dt.timedelta(seconds=11)
    sender = FlakySender(failures=0)
    assert deliver(db, sender, clock, policy=policy) == (0, 1)
    assert sender.sent == []
    message = db.scalars(select(OutboundMessage)).one()
    db.refresh(message)
    assert (message.state, message.last_error) == ("dead", "no result after the last try")


def test_a_hung_provider_costs_one_timeout_and_later_messages_still_go(settings, db, clock):
    fake, stop = fake_providers.serve()
    try:
        sender = TwilioSender(
            replace(
                settings,
                twilio_account_sid=fake_providers.TWILIO_SID,
                twilio_auth_token=fake_providers.TWILIO_TOKEN,
                twilio_from_number="+15005550006",
                twilio_api_base_url=fake.url,
                provider_timeout_seconds=0.5,
            )
        )
        for body in ("satu", "dua", "tiga"):
            enqueue_sms(db, to=PHONE, body=body, kind="reply", now=clock.now)
        db.flush()
        fake.hang_next, fake.hang_seconds = 1, 3.0

        assert deliver(db, sender, clock) == (2, 1)
        assert [r.body for r in fake.received] == ["dua", "tiga"]
        hung = db.scalars(select(OutboundMessage).where(OutboundMessage.body == "satu")).one()
        db.refresh(hung)
        assert hung.state == "pending" and "timed out" in hung.last_error.lower()

        clock.now = hung.next_try_at
        assert deliver(db, sender, clock) == (1, 0)
        assert [r.body for r in fake.received] == ["dua", "tiga", "satu"]
    finally:
        stop()


def test_the_log_sender_masks_the_number():
    printed: list[str] = []
    LogSender(echo=printed.append).send(PHONE, "Pesanan 4821 diterima.")
    assert printed == ["[SMS to +62812****7890] Pesanan 4821 diterima."]


def test_the_log_sender_masks_every_number_in_the_text():
    printed: list[str] = []
    sheet = "Pesanan 4821 untuk Anda. Ni Made Sari 0812-3456-7890, Banjar Kauh. +6281299998888"
    LogSender(echo=printed.append).send(PHONE, sheet)
    [line] = printed
    assert "3456-7890" not in line and "81299998888" not in line
    assert "Pesanan 4821 untuk Anda. Ni Made Sari" in line


def test_the_log_senders_ids_are_unique_across_restarts():
    ids = {LogSender(echo=lambda line: None).send(PHONE, "x").provider_message_id for _ in range(3)}
    assert len(ids) == 3 and all(i.startswith("log-") for i in ids)


def test_every_sms_provider_setting_has_a_sender(settings):
    from dataclasses import replace

    from providers.africastalking_sms import AfricasTalkingSender
    from providers.android_sms import AndroidSender
    from providers.senders import make_sender
    from settings import SMS_PROVIDERS

    configured = replace(
        settings,
        twilio_account_sid="AC1",
        twilio_auth_token="token",
        twilio_from_number="+15005550006",
        at_api_key="key",
        android_gateway_user="user",
        android_gateway_password="password",
    )
    built = {
        provider: type(make_sender(replace(configured, sms_provider=provider)))
        for provider in SMS_PROVIDERS
    }
    assert built == {
        "log": LogSender,
        "twilio": TwilioSender,
        "africastalking": AfricasTalkingSender,
        "android": AndroidSender,
    }


def test_a_provider_without_its_settings_is_a_clear_error(settings, make_app):
    from dataclasses import replace

    app = make_app(replace(settings, sms_provider="twilio", twilio_auth_token="token"))
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code != 0
    assert "SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID, TWILIO_FROM_NUMBER" in result.output


def test_a_starting_worker_forgets_workers_gone_for_a_week(app, clock, db: Session):
    from storage.models import WorkerHeartbeat

    long_ago = clock.now - dt.timedelta(days=8)
    db.add(WorkerHeartbeat(worker_id="old-host:1:gone", started_at=long_ago, beat_at=long_ago))
    db.add(WorkerHeartbeat(worker_id="other-host:2:alive", started_at=clock.now, beat_at=clock.now))
    db.commit()

    assert app.test_cli_runner().invoke(args=["worker", "--once"]).exit_code == 0

    workers = set(db.scalars(select(WorkerHeartbeat.worker_id)))
    assert "old-host:1:gone" not in workers
    assert "other-host:2:alive" in workers and len(workers) == 2


def test_a_pass_of_slow_sends_keeps_the_worker_heard_from(app, clock, db: Session):
    """A provider taking 30 s a message: the heartbeat goes on through the pass, so the
    monitoring (no worker for 2 minutes) never takes a busy worker for a dead one."""
    from domain.messaging.outbox import SentMessage
    from gateway.worker import Worker
    from storage.models import WorkerHeartbeat

    class SlowSender:
        def send(self, to: str, body: str) -> SentMessage:
            clock.now += dt.timedelta(seconds=30)
            return SentMessage(f"slow-{clock.now.timestamp():.0f}")

    for n in range(8):
        enqueue_sms(db, to=PHONE, body=f"Halo {n}", kind="reply", now=clock.now)
    db.commit()
    worker = Worker(
        app.extensions["telepasar_db"], SlowSender(), app.config["TELEPASAR_SETTINGS"], clock
    )

    assert worker.run_once().outbox.sent == 8

    beat = db.scalars(select(WorkerHeartbeat.beat_at)).one()
    assert clock.now - beat <= dt.timedelta(seconds=30)  # the pass took 4 minutes
