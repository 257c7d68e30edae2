"""Every Telepasar setting, read from the environment in one place.

`Settings.from_env()` is the only reader of environment variables in the project;
tests build their own `Settings(...)` instead of patching globals.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
DEFAULT_DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'telepasar.sqlite3'}"
# The published SECRET_KEY of `make run`'s demo: whoever reads this file can sign a console
# cookie with it, so production refuses it (and any key shorter than MIN_SECRET_KEY_LENGTH).
DEMO_SECRET_KEY = "dev-only-not-secret"
MIN_SECRET_KEY_LENGTH = 32

SMS_PROVIDERS = ("log", "twilio", "africastalking", "android")
# Karangasem's clock (WITA): the one default time zone, of a market made without one and of
# the office's days. A market's own `timezone` is used wherever its times are shown.
DEFAULT_TIMEZONE = "Asia/Makassar"
LANGUAGES = ("id", "en", "ban")
LOG_FORMATS = ("text", "json")
MAX_RETAIN_DAYS = 36_500  # a hundred years: as good as for ever
QUIET_HOURS = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class SettingsError(ValueError):
    """A setting has a value Telepasar cannot work with."""


@dataclass(frozen=True)
class Settings:
    """The configuration of one Telepasar deployment (README, Settings)."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = DEMO_SECRET_KEY
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
    # The office's share of each delivery fee, in percent (rounded down to the rupiah).
    courier_commission_percent: int = 0
    # What one SMS segment costs, for today at a glance: `350` for every provider, or per
    # provider, `twilio=1100,africastalking=350,android=0`. Unset: the spend is not shown.
    sms_price_rupiah: str = ""
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
    # A call back still `ringing` after this long, with no word from the provider on how it
    # ended, is taken as unanswered (its SMS offer goes out) by the worker.
    callback_ring_timeout_seconds: int = 300
    # At most this many how-to SMS and call backs an hour from the missed-call number
    # (anyone can ring it; beyond the cap rings are logged and counted, nothing is sent).
    missed_call_hourly_cap: int = 100
    # How many proxies in front of the gateway add to X-Forwarded-For (README, Deploying):
    # 0 when the gateway is reached directly; 1 behind one Caddy or nginx. The client's own
    # address is what the login throttle counts, never the proxy's.
    trusted_proxies: int = 0
    # Who may read /metrics (`Authorization: Bearer <token>`); unset, /metrics answers 404.
    metrics_token: str = ""
    # prometheus_client's own variable: the directory where each gunicorn worker and the
    # worker keep their counts, added up by /metrics (docs/OPERATIONS.md, Metrics). gunicorn
    # (gateway/gunicorn_conf.py) and `make run` set it when it is unset.
    prometheus_multiproc_dir: str = ""
    log_format: str = "text"  # or `json`: one JSON object a line
    # How long the worker keeps rows that only tell the past (once an hour it removes older
    # ones): handled SMS received, delivery reports, finished conversations, worker
    # heartbeats and console login tries. Orders, their lines and the money are never removed.
    retain_inbound_days: int = 90
    retain_delivery_reports_days: int = 30
    retain_conversations_days: int = 30
    retain_heartbeats_days: int = 7
    retain_login_failures_days: int = 1

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
        if self.callback_ring_timeout_seconds < 60:
            raise SettingsError("CALLBACK_RING_TIMEOUT_SECONDS must be at least 60 seconds")
        if not 0 <= self.courier_commission_percent <= 100:
            raise SettingsError("COURIER_COMMISSION_PERCENT must be a whole percent from 0 to 100")
        self.sms_prices  # noqa: B018 (a bad SMS_PRICE_RUPIAH is refused at start)
        if self.missed_call_hourly_cap < 0:
            raise SettingsError("MISSED_CALL_HOURLY_CAP must be 0 or more")
        if not 0 <= self.trusted_proxies <= 5:
            raise SettingsError("TRUSTED_PROXIES must be a number of proxies from 0 to 5")
        if not QUIET_HOURS.fullmatch(self.callback_quiet_hours):
            raise SettingsError(
                f"CALLBACK_QUIET_HOURS={self.callback_quiet_hours!r}: write it like 20:00-07:00"
            )
        if self.log_format not in LOG_FORMATS:
            raise SettingsError(
                f"LOG_FORMAT={self.log_format!r}: choose one of {', '.join(LOG_FORMATS)}"
            )
        for name in self.retention_days():
            if not 1 <= getattr(self, name) <= MAX_RETAIN_DAYS:
                raise SettingsError(
                    f"{name.upper()} must be a whole number of days from 1 to {MAX_RETAIN_DAYS}"
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

    @property
    def sms_prices(self) -> dict[str, int]:
        """Rupiah per SMS segment for each provider SMS_PRICE_RUPIAH names ({} when unset)."""
        raw = self.sms_price_rupiah.replace(" ", "")
        if not raw:
            return {}
        if raw.isascii() and raw.isdigit():
            return dict.fromkeys(SMS_PROVIDERS, int(raw))
        prices = {}
        for part in raw.split(","):
            provider, _, price = part.partition("=")
            if provider not in SMS_PROVIDERS or not (price.isascii() and price.isdigit()):
                raise SettingsError(
                    f"SMS_PRICE_RUPIAH={self.sms_price_rupiah!r}: write one price (350) or "
                    f"one per provider (twilio=1100,africastalking=350); providers: "
                    f"{', '.join(SMS_PROVIDERS)}"
                )
            prices[provider] = int(price)
        return prices

    def retention_days(self) -> dict[str, int]:
        """Each RETAIN_*_DAYS setting by field name, with its value."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name.startswith("retain_")}

    @property
    def serves_https(self) -> bool:
        """Whether the providers and browsers reach us over https (PUBLIC_BASE_URL)."""
        return self.public_base_url.strip().lower().startswith("https://")

    @property
    def in_production(self) -> bool:
        """Real providers or an https address: what the README's Deploying section sets up.

        `make run`'s demo (the `log` sender, no provider account, plain http) is not.
        """
        return bool(self.configured_providers) or self.serves_https

    @property
    def configured_providers(self) -> tuple[str, ...]:
        """The providers these settings send through or hold an account of."""
        return tuple(
            provider
            for provider, guard in PROVIDER_GUARDS.items()
            if getattr(self, guard.account) or self.sms_provider == provider
        )

    def webhook_secret(self, provider: str) -> str:
        """What proves a webhook request comes from `provider` ('' when unset)."""
        return getattr(self, PROVIDER_GUARDS[provider].secret)

    def closed_webhooks(self) -> list[str]:
        """In production, each provider whose webhooks answer 403 to everyone, and why."""
        if not self.in_production:
            return []
        return [
            f"{guard.webhooks} answer 403: {guard.secret.upper()} is not set"
            for provider, guard in PROVIDER_GUARDS.items()
            if not self.webhook_secret(provider)
        ]

    def production_problems(self) -> list[str]:
        """Why these settings must not serve real traffic, one line each ([] when safe)."""
        if not self.in_production:
            return []
        problems = []
        if self.secret_key == DEMO_SECRET_KEY:
            problems.append(
                "SECRET_KEY is the published demo key: anyone could sign a console login "
                f"with it; set a random one ({SECRET_KEY_RECIPE})"
            )
        elif len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            problems.append(
                f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters; "
                f"set a random one ({SECRET_KEY_RECIPE})"
            )
        if self.metrics_token and len(self.metrics_token) < MIN_SECRET_KEY_LENGTH:
            problems.append(
                f"METRICS_TOKEN is shorter than {MIN_SECRET_KEY_LENGTH} characters; set a "
                f"random one ({SECRET_KEY_RECIPE}), or unset it to close /metrics"
            )
        for provider in self.configured_providers:
            if not self.webhook_secret(provider):
                guard = PROVIDER_GUARDS[provider]
                problems.append(f"{guard.secret.upper()} is not set: {guard.why}")
        return problems


# prometheus_client's own variable (it reads it itself): where every process of a machine
# keeps its counts for /metrics to add up (docs/OPERATIONS.md, Metrics and alerts).
METRICS_DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def shared_metrics_directory(
    default: Path | None = None, environ: MutableMapping[str, str] | None = None
) -> Path | None:
    """PROMETHEUS_MULTIPROC_DIR, created if missing; None when it is unset (or empty) and
    there is no `default`. With a `default` an unset variable is set to it, in this process's
    environment, so that `prometheus_client` and every process started after see it (what
    gunicorn's master and `make run` do before their processes start)."""
    environ = os.environ if environ is None else environ
    raw = environ.get(METRICS_DIRECTORY_VARIABLE, "").strip()
    if not raw and default is None:
        return None
    if not raw:
        raw = environ[METRICS_DIRECTORY_VARIABLE] = str(default)
    directory = Path(raw)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def refusal_lines(problems: list[str]) -> str:
    """What a process that will not start prints: one line per problem."""
    return "\n".join(f"Telepasar cannot start: {problem}" for problem in problems)


SECRET_KEY_RECIPE = "python3 -c 'import secrets; print(secrets.token_hex(32))'"


@dataclass(frozen=True)
class ProviderGuard:
    """What makes a provider configured, what proves its webhooks are its own, and what an
    unset secret would let anybody do (settings fields, by name)."""

    account: str
    secret: str
    webhooks: str
    why: str


PROVIDER_GUARDS = {
    "twilio": ProviderGuard(
        "twilio_account_sid",
        "twilio_auth_token",
        "Twilio's webhooks (/twilio/*)",
        "without it Twilio's signatures cannot be checked, and anyone could post as Twilio",
    ),
    "africastalking": ProviderGuard(
        "at_api_key",
        "at_webhook_token",
        "Africa's Talking's webhooks (/africastalking/*)",
        "Africa's Talking signs nothing; without the token anyone could post as it",
    ),
    "android": ProviderGuard(
        "android_gateway_url",
        "android_webhook_key",
        "the Android gateway's webhook (/android/sms)",
        "without it the Android gateway's signatures cannot be checked, and anyone could "
        "post as the phone",
    ),
}


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
