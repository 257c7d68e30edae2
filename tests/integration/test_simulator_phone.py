"""The simulator's phone against the app itself (every webhook secret set): USSD, a call over
each voice provider to a placed order (prompts read back from TwiML, or from Africa's
Talking's audio), SMS through each SMS provider, and a gateway that refuses."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from simulator.phone import Call, GatewayRefused, UssdSession, send_sms
from simulator.webhooks import AppTransport, Webhooks
from simulator.window import received
from storage.models import Order

pytestmark = pytest.mark.usefixtures("courier_on_duty")

CUSTOMER = "+6281234567890"
CALL_CENTER = "+6236322000"


@pytest.fixture
def secrets(settings):
    """Settings with every webhook secret set, as a deployment has them."""
    return replace(
        settings,
        twilio_auth_token="a" * 32,
        twilio_account_sid="AC" + "1" * 32,
        at_webhook_token="at-secret",
        android_webhook_key="android-secret",
        public_base_url="https://telepasar.example",
        call_center_number=CALL_CENTER,
    )


@pytest.fixture
def hooks(secrets, make_app, clock) -> Webhooks:
    return Webhooks(secrets, AppTransport(make_app(secrets)), clock)


def spoken(step) -> str:
    return "\n".join(prompt.text for prompt in step.prompts)


def test_a_ussd_session_keeps_the_history_africastalking_sends(hooks):
    session = UssdSession.dial(hooks, CUSTOMER)
    assert "Pilih bahasa" in session.screen and not session.ended
    session.answer(hooks, CUSTOMER, "1")
    session.answer(hooks, CUSTOMER, "1")
    assert session.text == "1*1"
    assert "Bu Komang" in session.screen


@pytest.mark.parametrize("provider", ["twilio", "africastalking"])
def test_a_call_over_each_provider_walks_to_a_placed_order(hooks, provider, db: Session):
    call, step = Call.dial(hooks, CUSTOMER, provider)
    assert "Pilih bahasa" in spoken(step) and call.listen == "key"
    for key in ("1", "1", "1"):  # Indonesian, Pasar Amlapura Barat, Bu Komang
        step = call.press(hooks, CUSTOMER, key)
    assert "Bayam, tiga ribu rupiah per ikat, tekan dua." in spoken(step)
    step = call.silence(hooks, CUSTOMER)  # nothing pressed: the same prompts again
    assert "Bayam, tiga ribu rupiah per ikat, tekan dua." in spoken(step)
    step = call.press(hooks, CUSTOMER, "2")
    assert call.listen == "number" and "lalu tekan pagar" in spoken(step)
    call.press(hooks, CUSTOMER, "3")
    step = call.press(hooks, CUSTOMER, "3")  # checkout: say your name and address
    assert call.listen == "recording"
    step = call.press(hooks, CUSTOMER, "")  # a key ends the (pretend) recording
    assert "Total belanja sembilan belas ribu rupiah" in spoken(step)
    step = call.press(hooks, CUSTOMER, "1")

    assert call.ended and "Nomor pesanan Anda" in spoken(step)
    order = db.scalars(select(Order)).one()
    assert (order.channel, order.total) == ("voice", 19_000)
    assert order.delivery_address_recording_url.startswith("https://api.twilio.com/")


def test_africastalking_audio_is_read_back_as_words(settings, make_app, clock, synthesized_audio):
    audio = replace(settings, audio_dir=str(synthesized_audio), at_webhook_token="t")
    hooks = Webhooks(audio, AppTransport(make_app(audio)), clock)
    call, step = Call.dial(hooks, CUSTOMER, "africastalking")
    step = call.press(hooks, CUSTOMER, "1")
    assert all(path.startswith("/audio/synth/id/") for p in step.prompts for path in p.audio)
    lines = [prompt.text for prompt in step.prompts]
    assert lines[:3] == [
        "Pilih pasar:",
        "Pasar Amlapura Barat, tekan satu",
        "Pasar Amlapura Timur, tekan dua",
    ]
    assert "Untuk kembali, tekan bintang" in lines  # a line of its own, the next after it
    step = call.press(hooks, CUSTOMER, "1")
    assert "Bu Komang sayur, tekan satu" in [prompt.text for prompt in step.prompts]
    step = call.press(hooks, CUSTOMER, "1")
    assert "Bayam tiga ribu rupiah per ikat, tekan dua" in [prompt.text for prompt in step.prompts]


def test_zero_puts_the_call_through_to_a_person(hooks):
    call, _ = Call.dial(hooks, CUSTOMER, "twilio")
    step = call.press(hooks, CUSTOMER, "0")
    assert call.ended and step.transfer_to == CALL_CENTER


def test_twilio_answers_an_sms_in_its_reply(hooks):
    [reply] = send_sms(hooks, "twilio", CUSTOMER, "PESAN B12 2")
    assert reply.startswith("B12 Cabai rawit 2 ons Rp13.000.") and "Balas YA" in reply


@pytest.mark.parametrize("provider", ["africastalking", "android"])
def test_other_providers_answer_through_the_outbox(hooks, provider, app):
    assert send_sms(hooks, provider, CUSTOMER, "PESAN B12 2") == []
    [reply] = received(app.extensions["telepasar_db"], CUSTOMER)
    assert "Cabai rawit 2 ons" in reply.text and reply.state == "pending"


def test_a_request_the_gateway_refuses_is_an_error_not_a_screen(secrets, make_app, clock):
    wrong = replace(secrets, at_webhook_token="guessed")
    hooks = Webhooks(wrong, AppTransport(make_app(secrets)), clock)
    with pytest.raises(GatewayRefused, match="HTTP 403"):
        UssdSession.dial(hooks, CUSTOMER)
