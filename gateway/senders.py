"""Outbound SMS senders, chosen by SMS_PROVIDER. The worker hands each due outbox row to one.

Every sender gives up on a provider after PROVIDER_TIMEOUT_SECONDS: one hung request must not
stop all SMS (the worker retries the message later).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import click
import requests

from orders.outbox import Sender, SendError, SentMessage
from orders.phones import mask_phone
from settings import Settings


class LogSender:
    """Development sender: prints the SMS (number masked) and counts it as sent."""

    def __init__(self, echo: Callable[[str], None] = click.echo) -> None:
        self.echo = echo

    def send(self, to: str, body: str) -> SentMessage:
        """Print the message instead of sending it."""
        self.echo(f"[SMS to {mask_phone(to)}] {body}")
        # Unique across workers and restarts, as a provider's id is.
        return SentMessage(provider_message_id=f"log-{uuid.uuid4().hex}")


class SenderUnavailable(RuntimeError):
    """SMS_PROVIDER names a sender whose settings are missing."""


class TwilioSender:
    """Twilio's REST API through the `twilio` SDK (TWILIO_API_BASE_URL points it elsewhere)."""

    # Twilio errors that no retry can fix: the number opted out at Twilio, or is not a number.
    PERMANENT_ERRORS = {21610, 21211, 21614}

    def __init__(self, settings: Settings) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        # environment={}: the SDK must not read TWILIO_REGION / TWILIO_EDGE behind our back.
        # Its HTTP client has no timeout unless it is given one.
        self.client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            http_client=TwilioHttpClient(timeout=settings.provider_timeout_seconds),
            environment={},
        )
        if settings.twilio_api_base_url:
            self.client.api.base_url = settings.twilio_api_base_url.rstrip("/")
        self.from_number = settings.twilio_from_number

    def send(self, to: str, body: str) -> SentMessage:
        """Create the message at Twilio."""
        from requests import RequestException
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            message = self.client.messages.create(to=to, from_=self.from_number, body=body)
        except TwilioRestException as exc:
            raise SendError(
                f"Twilio {exc.status} error {exc.code}: {exc.msg}",
                permanent=exc.code in self.PERMANENT_ERRORS,
            ) from exc
        except (TwilioException, RequestException) as exc:
            raise SendError(f"Twilio: {exc}") from exc
        return SentMessage(provider_message_id=message.sid)


class AfricasTalkingSender:
    """Africa's Talking's SMS API through the `africastalking` SDK (AT_API_BASE_URL elsewhere)."""

    ACCEPTED = {100, 101, 102}  # processed, sent, queued

    def __init__(self, settings: Settings) -> None:
        from africastalking.SMS import SMSService

        self.service = SMSService(settings.at_username, settings.at_api_key)
        if settings.at_api_base_url:
            self.service._baseUrl = settings.at_api_base_url.rstrip("/") + "/version1"
        self.sender_id = settings.at_sender_id or None
        self.timeout = settings.provider_timeout_seconds

    def send(self, to: str, body: str) -> SentMessage:
        """Post the message; Africa's Talking answers per recipient."""
        from africastalking.Service import AfricasTalkingException
        from requests import RequestException

        try:
            answer = self.service.send(body, [to], sender_id=self.sender_id, timeout=self.timeout)
        except ValueError as exc:  # the SDK refuses a number that is not E.164
            raise SendError(f"Africa's Talking: {exc}", permanent=True) from exc
        except (AfricasTalkingException, RequestException) as exc:
            raise SendError(f"Africa's Talking: {exc}") from exc
        data = answer.get("SMSMessageData", {}) if isinstance(answer, dict) else {}
        recipients = data.get("Recipients") or [{}]
        recipient = recipients[0]
        if recipient.get("statusCode") not in self.ACCEPTED:
            raise SendError(f"Africa's Talking: {recipient.get('status') or data.get('Message')}")
        return SentMessage(provider_message_id=recipient.get("messageId"))


class AndroidSender:
    """SMS Gateway for Android (a phone with a local SIM) through `android-sms-gateway`."""

    def __init__(self, settings: Settings) -> None:
        self.login = settings.android_gateway_user
        self.password = settings.android_gateway_password
        self.base_url = settings.android_gateway_url or "https://api.sms-gate.app/3rdparty/v1"
        self.timeout = settings.provider_timeout_seconds

    def send(self, to: str, body: str) -> SentMessage:
        """Ask the phone to send the message."""
        from android_sms_gateway import client, domain
        from android_sms_gateway.errors import APIError
        from android_sms_gateway.http import RequestsHttpClient
        from requests import RequestException

        message = domain.Message(phone_numbers=[to], text_message=domain.TextMessage(text=body))
        # The client's own HTTP session has no timeout: it gets one that has.
        with TimeoutSession(self.timeout) as session:
            api = client.APIClient(
                self.login, self.password, base_url=self.base_url, http=RequestsHttpClient(session)
            )
            try:
                state = api.send(message)
            except (APIError, RequestException) as exc:
                raise SendError(f"SMS Gateway for Android: {exc}") from exc
        return SentMessage(provider_message_id=state.id)


class TimeoutSession(requests.Session):
    """A requests session whose every request gives up after `timeout` seconds."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        """As requests does, with the session's timeout unless the call gives its own."""
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


SENDERS: dict[str, Callable[[Settings], Sender]] = {
    "log": lambda settings: LogSender(),
    "twilio": TwilioSender,
    "africastalking": AfricasTalkingSender,
    "android": AndroidSender,
}


# The settings each provider cannot send without.
REQUIRED_SETTINGS = {
    "twilio": ("twilio_account_sid", "twilio_auth_token", "twilio_from_number"),
    "africastalking": ("at_username", "at_api_key"),
    "android": ("android_gateway_user", "android_gateway_password"),
}


def make_sender(settings: Settings) -> Sender:
    """The sender for SMS_PROVIDER, or SenderUnavailable naming the settings it lacks."""
    missing = [
        name.upper()
        for name in REQUIRED_SETTINGS.get(settings.sms_provider, ())
        if not getattr(settings, name)
    ]
    if missing:
        raise SenderUnavailable(
            f"SMS_PROVIDER={settings.sms_provider} needs {', '.join(missing)} to be set"
        )
    return SENDERS[settings.sms_provider](settings)
