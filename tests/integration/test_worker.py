"""The outbox worker: due SMS go through the sender; failures retry with backoff, then die."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.senders import LogSender
from orders.outbox import BACKOFF_SECONDS, SendError, SentMessage, deliver_due, enqueue_sms
from storage.models import OutboundMessage
from tests.conftest import MARKET_OPEN
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
    assert "Outbox: 1 sent, 0 to retry." in result.output
    sms = db.scalars(select(OutboundMessage)).one()
    assert (sms.state, sms.attempts) == ("sent", 1)
    assert sms.provider_message_id.startswith("log-")
    again = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert "[SMS to" not in again.output  # sent once only


def test_a_failed_send_is_retried_with_backoff_then_sent(db: Session):
    enqueue_sms(db, to=PHONE, body="Halo", kind="reply")
    db.flush()
    sender = FlakySender(failures=2)
    now = MARKET_OPEN + dt.timedelta(seconds=1)

    assert deliver_due(lambda: nullcontext(db), sender, now=now, max_attempts=6) == (0, 1)
    message = db.scalars(select(OutboundMessage)).one()
    assert message.state == "pending" and message.last_error == "provider answered 503"
    assert message.next_try_at == now + dt.timedelta(seconds=BACKOFF_SECONDS[0])
    assert deliver_due(lambda: nullcontext(db), sender, now=now, max_attempts=6) == (
        0,
        0,
    )  # not due yet

    later = now + dt.timedelta(seconds=BACKOFF_SECONDS[0])
    assert deliver_due(lambda: nullcontext(db), sender, now=later, max_attempts=6) == (0, 1)
    assert message.next_try_at == later + dt.timedelta(seconds=BACKOFF_SECONDS[1])
    latest = later + dt.timedelta(seconds=BACKOFF_SECONDS[1])
    assert deliver_due(lambda: nullcontext(db), sender, now=latest, max_attempts=6) == (1, 0)
    assert (message.state, message.attempts, message.last_error) == ("sent", 3, None)
    assert sender.sent == [(PHONE, "Halo")]


def test_after_the_last_try_a_message_is_dead(db: Session):
    enqueue_sms(db, to=PHONE, body="Halo", kind="reply")
    db.flush()
    sender = FlakySender(failures=99)
    now = MARKET_OPEN + dt.timedelta(seconds=1)
    for _ in range(3):
        deliver_due(lambda: nullcontext(db), sender, now=now, max_attempts=3)
        now += dt.timedelta(hours=1)
    message = db.scalars(select(OutboundMessage)).one()
    assert (message.state, message.attempts) == ("dead", 3)
    assert deliver_due(lambda: nullcontext(db), sender, now=now, max_attempts=3) == (0, 0)


def test_the_log_sender_masks_the_number():
    printed: list[str] = []
    LogSender(echo=printed.append).send(PHONE, "Pesanan 4821 diterima.")
    assert printed == ["[SMS to +62812****7890] Pesanan 4821 diterima."]


def test_every_sms_provider_setting_has_a_sender(settings):
    from dataclasses import replace

    from gateway.senders import (
        AfricasTalkingSender,
        AndroidSender,
        LogSender,
        TwilioSender,
        make_sender,
    )
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

    app = make_app(replace(settings, sms_provider="twilio"))
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code != 0
    assert (
        "SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER"
        in result.output
    )
