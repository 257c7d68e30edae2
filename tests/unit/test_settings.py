"""Settings come from the environment, with safe defaults and clear errors."""

from __future__ import annotations

import pytest

from settings import DEFAULT_DATABASE_URL, Settings, SettingsError


def test_defaults_need_no_environment():
    settings = Settings.from_env({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.database_url.endswith("instance/telepasar.sqlite3")
    assert (settings.sms_provider, settings.default_language, settings.phone_region) == (
        "log",
        "id",
        "ID",
    )
    assert settings.order_goods_cap == 300_000 and settings.courier_offer_seconds == 300
    assert (settings.provider_timeout_seconds, settings.outbox_lease_seconds) == (10.0, 60.0)


def test_values_are_read_and_typed():
    settings = Settings.from_env(
        {
            "AT_WEBHOOK_TOKEN": "s3cret",
            "ORDER_GOODS_CAP": "200000",
            "DEFAULT_LANGUAGE": "ban",
            "SMS_PROVIDER": "",
        }
    )
    assert settings.at_webhook_token == "s3cret"
    assert settings.order_goods_cap == 200_000
    assert settings.default_language == "ban"
    assert settings.sms_provider == "log"  # empty means unset


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"SMS_PROVIDER": "pigeon"}, "SMS_PROVIDER='pigeon'"),
        ({"DEFAULT_LANGUAGE": "fr"}, "DEFAULT_LANGUAGE='fr'"),
        ({"ORDER_GOODS_CAP": "lots"}, "ORDER_GOODS_CAP='lots' is not a number"),
        ({"ORDER_GOODS_CAP": "0"}, "ORDER_GOODS_CAP must be a positive"),
        ({"PROVIDER_TIMEOUT_SECONDS": "0"}, "PROVIDER_TIMEOUT_SECONDS must be a positive"),
        ({"DATABASE_LOCK_WAIT_SECONDS": "-1"}, "DATABASE_LOCK_WAIT_SECONDS must be a positive"),
        ({"WORKER_POLL_SECONDS": "soon"}, "WORKER_POLL_SECONDS='soon' is not a number"),
        (
            {"PROVIDER_TIMEOUT_SECONDS": "90", "OUTBOX_LEASE_SECONDS": "60"},
            "OUTBOX_LEASE_SECONDS must be longer than PROVIDER_TIMEOUT_SECONDS",
        ),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(environ, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        Settings.from_env(environ)
