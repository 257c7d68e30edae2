"""Fixtures of the integration tests: a fake of the providers, apps that send through it.

An app from `app_for(provider)` has SMS_PROVIDER set to that provider, its SDK pointed at
the fake on 127.0.0.1 (tests/fake_providers.py), so the SDK's own request building is
exercised; its webhooks check signatures and tokens as in production.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests import fake_providers as fp
from tests.provider_sms import ANDROID_KEY, AT_TOKEN
from tests.voice import PUBLIC_BASE_URL


@pytest.fixture
def fake():
    server, stop = fp.serve()
    yield server
    stop()


@pytest.fixture
def route_settings(settings, fake):
    return replace(
        fp.pointed_at(fake, settings),
        public_base_url=PUBLIC_BASE_URL,
        at_sender_id="TELEPASAR",
        at_webhook_token=AT_TOKEN,
        android_webhook_key=ANDROID_KEY,
    )


@pytest.fixture
def app_for(route_settings, make_app):
    """An app whose outbox worker sends through `provider`."""
    return lambda provider: make_app(replace(route_settings, sms_provider=provider))


COURIER_ON_DUTY = "+6281399990001"


@pytest.fixture
def courier_on_duty(app) -> str:
    """One courier of Pasar Amlapura Barat who has texted SIAP: orders are offered, not
    unassigned for want of a courier. Returns the courier's number."""
    from domain.office.register import register_courier

    with app.extensions["telepasar_db"].unit_of_work() as session:
        courier = register_courier(
            session,
            phone=COURIER_ON_DUTY,
            name="Pak Putu",
            market="AB",
            now=app.config["TELEPASAR_CLOCK"](),
        )
        courier.available = True
    return COURIER_ON_DUTY
