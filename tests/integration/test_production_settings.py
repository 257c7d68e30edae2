"""Production refuses unsafe settings: no default secret, no provider without its webhook secret.

"Production" is a real provider configured, or an https PUBLIC_BASE_URL. There every process
(the gateway under Flask or gunicorn, the worker, each command) refuses to start, one line per
problem; `make run`'s demo starts as it is. A webhook whose provider has no secret set
answers 403 in production.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace

import pytest
from flask.testing import FlaskClient

from gateway import create_app
from settings import DEMO_SECRET_KEY, PROJECT_ROOT, Settings, SettingsError
from tests import fake_providers as fp
from tests.integration.test_startup import start
from tests.processes import free_port, gunicorn_command, settings_env
from tests.provider_sms import AT_TOKEN, android_sms, twilio_sms

HTTPS = "https://telepasar.example"
LONG_KEY = "k" * 40


def test_the_demo_is_not_production_and_needs_no_secret():
    demo = Settings()
    assert not demo.in_production
    assert demo.production_problems() == []


@pytest.mark.parametrize(
    "changes",
    [
        {"sms_provider": "twilio"},
        {"sms_provider": "africastalking"},
        {"sms_provider": "android"},
        {"twilio_account_sid": "AC123"},  # call backs through Twilio, SMS through the log
        {"at_api_key": "atsk_1"},
        {"android_gateway_url": "https://sms.example/3rdparty/v1"},
        {"public_base_url": HTTPS},
        {"public_base_url": "HTTPS://TELEPASAR.EXAMPLE"},
    ],
    ids=lambda changes: next(iter(changes)),
)
def test_a_real_provider_or_an_https_address_is_production(changes):
    assert Settings(**changes).in_production


@pytest.mark.parametrize(
    "changes, problems",
    [
        ({"public_base_url": HTTPS}, ["SECRET_KEY is the published demo key"]),
        ({"public_base_url": HTTPS, "secret_key": "short"}, ["SECRET_KEY is shorter than 32"]),
        (
            {"sms_provider": "twilio", "public_base_url": HTTPS},
            ["SECRET_KEY is the published demo key", "TWILIO_AUTH_TOKEN is not set"],
        ),
        ({"sms_provider": "africastalking", "secret_key": LONG_KEY}, ["AT_WEBHOOK_TOKEN"]),
        ({"sms_provider": "android", "secret_key": LONG_KEY}, ["ANDROID_WEBHOOK_KEY"]),
        ({"twilio_account_sid": "AC1", "secret_key": LONG_KEY}, ["TWILIO_AUTH_TOKEN"]),
        (
            {
                "sms_provider": "africastalking",
                "twilio_account_sid": "AC1",
                "android_gateway_url": "https://sms.example",
                "secret_key": LONG_KEY,
            },
            ["TWILIO_AUTH_TOKEN", "AT_WEBHOOK_TOKEN", "ANDROID_WEBHOOK_KEY"],
        ),
    ],
    ids=["https-demo-key", "short-key", "twilio", "at", "android", "twilio-account", "all"],
)
def test_production_names_each_unsafe_setting_once(changes, problems):
    found = Settings(**changes).production_problems()
    assert len(found) == len(problems), found
    for line, expected in zip(found, problems, strict=True):
        assert line.startswith(expected)
        assert "\n" not in line


def test_production_with_every_secret_set_starts(settings):
    safe = replace(
        settings,
        sms_provider="twilio",
        twilio_account_sid="AC1",
        twilio_auth_token="token",
        public_base_url=HTTPS,
    )
    app = create_app(safe)
    app.extensions["telepasar_db"].dispose()


def test_settings_passed_in_are_refused_too(settings):
    with pytest.raises(SettingsError, match="SECRET_KEY is the published demo key"):
        create_app(replace(settings, secret_key=DEMO_SECRET_KEY, public_base_url=HTTPS))


def test_the_worker_refuses_to_start_with_one_line_per_problem(tmp_path):
    result = start(
        "worker --once", tmp_path, SMS_PROVIDER="twilio", PUBLIC_BASE_URL=HTTPS, SECRET_KEY=""
    )

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr  # one a problem, no traceback
    assert lines[0].startswith("Telepasar cannot start: SECRET_KEY is the published demo key")
    assert lines[1].startswith("Telepasar cannot start: TWILIO_AUTH_TOKEN is not set")


def test_every_command_refuses_without_the_webhook_token(tmp_path):
    result = start("courier-list", tmp_path, SMS_PROVIDER="africastalking", SECRET_KEY=LONG_KEY)
    assert result.returncode != 0
    assert result.stderr.strip().startswith("Telepasar cannot start: AT_WEBHOOK_TOKEN is not set")


def test_gunicorn_refuses_to_serve_with_the_demo_key(tmp_path, settings):
    unsafe = replace(settings, secret_key=DEMO_SECRET_KEY, public_base_url=HTTPS)
    result = subprocess.run(
        gunicorn_command(free_port(), workers=1),
        cwd=PROJECT_ROOT,
        env=settings_env(unsafe),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Telepasar cannot start: SECRET_KEY is the published demo key" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_demo_starts_without_any_secret(tmp_path):
    result = start("migrate", tmp_path, SECRET_KEY="")
    assert result.returncode == 0, result.stderr
    assert "The schema is up to date." in result.stdout


@pytest.fixture
def twilio_only(settings, make_app):
    """Production with Twilio set up as it should be, and no other provider's secret."""
    return make_app(
        replace(
            settings,
            sms_provider="twilio",
            twilio_account_sid="AC1",
            twilio_auth_token=fp.TWILIO_TOKEN,
            public_base_url=HTTPS,
        )
    )


def at_sms(client: FlaskClient, token: str):
    form = {"from": "+6281234567890", "to": "21234", "text": "PASAR", "id": "at-1"}
    return client.post(f"/africastalking/sms?token={token}", data=form)


@pytest.mark.parametrize(
    "post",
    [
        lambda client: at_sms(client, ""),
        lambda client: at_sms(client, AT_TOKEN),
        lambda client: android_sms(client, "PASAR", "sms-1", key=""),
        lambda client: client.post(
            "/africastalking/ussd",
            data={
                "sessionId": "s1",
                "serviceCode": "*123#",
                "phoneNumber": "+6281234567890",
                "networkCode": "51010",
                "text": "",
            },
        ),
    ],
    ids=["at-sms-no-token", "at-sms-any-token", "android-unsigned", "at-ussd"],
)
def test_in_production_a_webhook_without_its_secret_is_closed(twilio_only, post):
    client: FlaskClient = twilio_only.test_client()
    assert post(client).status_code == 403


def test_in_production_the_configured_provider_still_answers(twilio_only):
    reply = twilio_sms(twilio_only.test_client(), "PASAR", "SM" + "1" * 32)
    assert reply and "Pasar Amlapura Barat" in reply


def test_production_says_at_the_start_which_webhooks_stay_closed(settings, make_app, caplog):
    make_app(
        replace(
            settings,
            sms_provider="twilio",
            twilio_account_sid="AC1",
            twilio_auth_token=fp.TWILIO_TOKEN,
            public_base_url=HTTPS,
        )
    )
    assert (
        "In production Africa's Talking's webhooks (/africastalking/*) answer 403: "
        "AT_WEBHOOK_TOKEN is not set" in caplog.text
    )
    assert "/android/sms) answer 403: ANDROID_WEBHOOK_KEY is not set" in caplog.text
    assert "Twilio's webhooks" not in caplog.text
