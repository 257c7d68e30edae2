"""Outbound SMS senders, chosen by SMS_PROVIDER. The worker hands each due outbox row to one.

Each provider's sender lives beside its inbound webhooks (`twilio_sms.py`,
`africastalking_sms.py`, `android_sms.py`); this module holds the registry and the `log`
sender. Every sender gives up on a provider after PROVIDER_TIMEOUT_SECONDS: one hung request
must not stop all SMS (the worker retries the message later).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import click

from domain.messaging.callbacks import Caller
from domain.messaging.outbox import Sender, SentMessage
from domain.phones import mask_phone
from providers.africastalking_sms import AfricasTalkingSender
from providers.africastalking_voice import AfricasTalkingCaller
from providers.android_sms import AndroidSender
from providers.twilio_sms import TwilioSender
from providers.twilio_voice import TwilioCaller
from settings import Settings
from web.logs import redact


class LogSender:
    """Development sender: prints the SMS and counts it as sent. The recipient and every
    number in the text are masked as in every log line (the simulators read the outbox)."""

    def __init__(self, echo: Callable[[str], None] = click.echo) -> None:
        self.echo = echo

    def send(self, to: str, body: str) -> SentMessage:
        """Print the message instead of sending it."""
        self.echo(f"[SMS to {mask_phone(to)}] {redact(body)}")
        # Unique across workers and restarts, as a provider's id is.
        return SentMessage(provider_message_id=f"log-{uuid.uuid4().hex}")


class SenderUnavailable(RuntimeError):
    """SMS_PROVIDER names a sender whose settings are missing."""


SENDERS: dict[str, Callable[[Settings], Sender]] = {
    "log": lambda settings: LogSender(),
    "twilio": TwilioSender,
    "africastalking": AfricasTalkingSender,
    "android": AndroidSender,
}


# Who places the call backs of the missed-call number: the provider whose webhook got the ring.
CALLERS: dict[str, Callable[[Settings], Caller]] = {
    "twilio": TwilioCaller,
    "africastalking": AfricasTalkingCaller,
}


class LogCaller:
    """Development caller (SMS_PROVIDER=log, no provider account): prints the call back and
    counts it as ringing; the phone simulator can answer it as the provider would."""

    def __init__(self, echo: Callable[[str], None] = click.echo) -> None:
        self.echo = echo

    def call(self, to: str, call_id: int) -> str:
        """Print the call instead of placing it."""
        self.echo(f"[call back {call_id} to {mask_phone(to)}]")
        return f"log-{uuid.uuid4().hex}"


def make_callers(settings: Settings) -> dict[str, Caller]:
    """A caller for each provider whose settings are there. Without them, a call back waits,
    then dies naming the missing caller; while SMS only go to the log, it is printed."""
    callers: dict[str, Caller] = {}
    for provider, make in CALLERS.items():
        if all(getattr(settings, name) for name in getattr(make, "REQUIRED_SETTINGS", ())):
            callers[provider] = make(settings)
        elif settings.sms_provider == "log":
            callers[provider] = LogCaller()
    return callers


def make_sender(settings: Settings) -> Sender:
    """The sender for SMS_PROVIDER, or SenderUnavailable naming the settings it lacks."""
    required = getattr(SENDERS[settings.sms_provider], "REQUIRED_SETTINGS", ())
    missing = [name.upper() for name in required if not getattr(settings, name)]
    if missing:
        raise SenderUnavailable(
            f"SMS_PROVIDER={settings.sms_provider} needs {', '.join(missing)} to be set"
        )
    return SENDERS[settings.sms_provider](settings)
