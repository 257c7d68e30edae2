"""Every Telepasar setting, read from the environment in one place.

`Settings.from_env()` is the only reader of environment variables in the project;
tests build their own `Settings(...)` instead of patching globals.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
DEFAULT_DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'telepasar.sqlite3'}"

SMS_PROVIDERS = ("log", "twilio", "africastalking", "android")
LANGUAGES = ("id", "en", "ban")
QUIET_HOURS = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class SettingsError(ValueError):
    """A setting has a value Telepasar cannot work with."""


@dataclass(frozen=True)
class Settings:
    """The configuration of one Telepasar deployment (see DESIGN.md, Public contract)."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = "dev-only-not-secret"
    public_base_url: str = "http://127.0.0.1:5000"
    sms_provider: str = "log"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from_number: str = ""
    twilio_api_base_url: str = ""
    twilio_voice: str = "Google.id-ID-Standard-A"
    at_username: str = "sandbox"
    at_api_key: str = ""
    at_sender_id: str = ""
    at_api_base_url: str = ""
    at_webhook_token: str = ""
    android_gateway_url: str = ""
    android_gateway_user: str = ""
    android_gateway_password: str = ""
    android_webhook_key: str = ""
    call_center_number: str = ""
    courier_offer_seconds: int = 300
    default_language: str = "id"
    phone_region: str = "ID"
    order_goods_cap: int = 300_000
    outbox_max_attempts: int = 6
    worker_poll_seconds: float = 2.0
    # Every call to an SMS provider gives up after this long (the worker then retries later).
    provider_timeout_seconds: float = 10.0
    # How long a worker may hold a claimed SMS before another worker may take it over.
    outbox_lease_seconds: float = 60.0
    # How long a request or the worker waits for a database lock before it gives up.
    database_lock_wait_seconds: float = 5.0
    audio_dir: str = str(INSTANCE_DIR / "audio")
    # The missed-call number (/twilio/missed, /africastalking/missed): rejected unanswered,
    # then the caller is called back from CALLBACK_CALLER_ID (Twilio: TWILIO_FROM_NUMBER when
    # unset), never in the quiet hours (local time, WITA).
    ussd_code: str = "*123#"  # the code callers dial (said in SMS that tell how to order)
    missed_call_enabled: bool = False
    callback_caller_id: str = ""
    callback_quiet_hours: str = "20:00-07:00"
    at_voice_api_base_url: str = ""

    def __post_init__(self) -> None:
        if self.sms_provider not in SMS_PROVIDERS:
            raise SettingsError(
                f"SMS_PROVIDER={self.sms_provider!r}: choose one of {', '.join(SMS_PROVIDERS)}"
            )
        if self.default_language not in LANGUAGES:
            raise SettingsError(
                f"DEFAULT_LANGUAGE={self.default_language!r}: choose one of {', '.join(LANGUAGES)}"
            )
        if self.order_goods_cap <= 0:
            raise SettingsError("ORDER_GOODS_CAP must be a positive number of rupiah")
        for name in (
            "worker_poll_seconds",
            "provider_timeout_seconds",
            "outbox_lease_seconds",
            "database_lock_wait_seconds",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name.upper()} must be a positive number of seconds")
        if not QUIET_HOURS.fullmatch(self.callback_quiet_hours):
            raise SettingsError(
                f"CALLBACK_QUIET_HOURS={self.callback_quiet_hours!r}: write it like 20:00-07:00"
            )
        if self.outbox_lease_seconds <= self.provider_timeout_seconds:
            raise SettingsError(
                "OUTBOX_LEASE_SECONDS must be longer than PROVIDER_TIMEOUT_SECONDS: a worker "
                "must finish a send before another may take the message over"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables named like the fields, upper-cased."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in fields(cls):
            raw = environ.get(field.name.upper())
            if raw is None or raw.strip() == "":
                continue
            values[field.name] = _convert(field.name, field.type, raw.strip())
        return cls(**values)


def _convert(name: str, type_name: object, raw: str) -> object:
    """Turn the text of an environment variable into the field's type."""
    if type_name in ("bool", bool):
        if raw.lower() in TRUE_WORDS | FALSE_WORDS:
            return raw.lower() in TRUE_WORDS
        raise SettingsError(f"{name.upper()}={raw!r}: write true or false")
    try:
        if type_name in ("int", int):
            return int(raw)
        if type_name in ("float", float):
            return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name.upper()}={raw!r} is not a number") from exc
    return raw
