"""Outbound SMS senders, chosen by SMS_PROVIDER. The worker hands each due outbox row to one."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import click

from orders.outbox import Sender, SentMessage
from orders.phones import mask_phone
from settings import Settings


class LogSender:
    """Development sender: prints the SMS (number masked) and counts it as sent."""

    _ids = itertools.count(1)

    def __init__(self, echo: Callable[[str], None] = click.echo) -> None:
        self.echo = echo

    def send(self, to: str, body: str) -> SentMessage:
        """Print the message instead of sending it."""
        self.echo(f"[SMS to {mask_phone(to)}] {body}")
        return SentMessage(provider_message_id=f"log-{next(self._ids)}")


class SenderUnavailable(RuntimeError):
    """SMS_PROVIDER names a sender this version does not have yet."""


SENDERS: dict[str, Callable[[Settings], Sender]] = {
    "log": lambda settings: LogSender(),
}


def make_sender(settings: Settings) -> Sender:
    """The sender for SMS_PROVIDER."""
    try:
        factory = SENDERS[settings.sms_provider]
    except KeyError:
        raise SenderUnavailable(
            f"SMS_PROVIDER={settings.sms_provider} is not available yet; "
            f"available: {', '.join(SENDERS)}"
        ) from None
    return factory(settings)
