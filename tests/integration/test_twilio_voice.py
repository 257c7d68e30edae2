"""Voice ordering through `/twilio/voice`, with signed requests, as an elderly caller would."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Customer, Item, Order, OutboundMessage
from tests.voice import (
    PUBLIC_BASE_URL,
    TWILIO_AUTH_TOKEN,
    TwilioCall,
    spoken_digits,
    twilio_sid,
)

# Orders here are offered to a courier, as in a market with couriers at work.
pytestmark = pytest.mark.usefixtures("courier_on_duty")

CALL_CENTER = "+6236322000"
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"


@pytest.fixture
def voice_settings(settings):
    return replace(
        settings,
        twilio_auth_token=TWILIO_AUTH_TOKEN,
        public_base_url=PUBLIC_BASE_URL,
        call_center_number=CALL_CENTER,
    )


@pytest.fixture
def voice_client(voice_settings, make_app):
    return make_app(voice_settings).test_client()


def spinach_order(call: TwilioCall) -> None:
    """A first-time caller: Indonesian, Pasar Amlapura Barat, Bu Komang, 3 bunches of spinach."""
    call.start()
    assert "Pilih bahasa" in call.speech()
    call.press("1")  # Bahasa Indonesia
    assert "Pasar Amlapura Barat, tekan satu." in call.speech()
    call.press("1")
    call.press("1")  # Bu Komang
    assert "Bayam, tiga ribu rupiah per ikat, tekan dua." in call.speech()
    call.press("2")
    assert "Berapa ikat? Tekan angkanya, lalu tekan pagar." in call.speech()
    gather = call.twiml.find("Gather")
    assert gather.get("finishOnKey") == "#" and gather.get("numDigits") is None
    call.press("3")
    assert "Bayam tiga ikat masuk keranjang." in call.speech()
    call.press("3")  # checkout
    assert call.twiml.find("Record") is not None
    assert "sebutkan nama dan alamat lengkap Anda" in call.speech()
    call.record(RECORDING)


def test_a_whole_call_orders_and_reads_back_the_total_and_the_number(voice_client, db: Session):
    call = TwilioCall(voice_client)
    spinach_order(call)

    summary = call.speech()
    assert "Total belanja sembilan belas ribu rupiah" in summary
    assert "ongkos kirim sepuluh ribu rupiah" in summary
    assert "Bayam, tiga ikat, sembilan ribu rupiah." in summary
    call.press("1")  # confirm

    order = db.scalars(select(Order)).one()
    spoken_number = spoken_digits(order.number)
    final = call.speech()
    assert (
        f"Nomor pesanan Anda: {spoken_number}. Sekali lagi, nomor pesanan: {spoken_number}."
        in final
    )
    assert "Totalnya sembilan belas ribu rupiah" in final
    assert call.twiml.find("Hangup") is not None
    assert (order.channel, order.total, order.delivery_address_recording_url) == (
        "voice",
        19_000,
        RECORDING,
    )
    assert order.customer.address_recording_url == RECORDING
    sms = db.scalars(select(OutboundMessage).where(OutboundMessage.kind == "order_update")).one()
    assert sms.to == "+6281234567890" and f"Pesanan {order.number} diterima" in sms.body


def test_a_price_changed_after_the_summary_is_said_again_before_it_is_charged(
    voice_client, db: Session
):
    call = TwilioCall(voice_client)
    spinach_order(call)
    assert "Total belanja sembilan belas ribu rupiah" in call.speech()
    db.execute(Item.__table__.update().where(Item.name == "Bayam").values(price=4_000))
    db.commit()

    call.press("1")  # confirm what was said: nineteen thousand

    again = call.speech()
    assert again.startswith("Maaf, harga Bayam baru saja berubah, jadi pesanan belum dibuat.")
    assert "Total belanja dua puluh dua ribu rupiah" in again
    assert db.scalar(select(func.count()).select_from(Order)) == 0
    db.rollback()  # end the read, to see what the app writes next
    call.press("1")
    assert db.scalars(select(Order.total)).one() == 22_000


def test_every_reply_is_spoken_in_indonesian_by_the_configured_voice(voice_client):
    call = TwilioCall(voice_client)
    call.start()
    says = list(call.twiml.iter("Say"))
    assert says and all(say.get("language") == "id-ID" for say in says)
    assert all(say.get("voice") == "Google.id-ID-Standard-A" for say in says)
    gather = call.twiml.find("Gather")
    assert (gather.get("input"), gather.get("numDigits"), gather.get("timeout")) == (
        "dtmf",
        "1",
        "8",
    )


def test_a_returning_caller_is_greeted_by_name_and_asked_before_ordering_again(
    voice_client, client, db: Session
):
    from tests.ussd import UssdSession

    ussd = UssdSession(client)
    ussd.press("1", "1", "1", "4", "2", "3", "Ni Made Sari", "Banjar Kauh, Amlapura", "1")

    call = TwilioCall(voice_client, call_sid=twilio_sid("CA", "2"))
    call.start()
    greeting = call.speech()
    # The order placed by USSD is on its way: the caller hears where it is first.
    assert re.match(r"Pesanan (\w+, ){3}\w+ sedang dicarikan kurir\. Halo Ni Made Sari!", greeting)
    assert "Ulangi pesanan terakhir (tiga puluh delapan ribu rupiah), tekan satu." in greeting
    call.press("1")
    # That order is still on its way: a forgetful caller is told before ordering twice.
    asked = call.speech()
    assert re.match(
        r"Pesanan (\w+, ){3}\w+ Anda \(tiga puluh delapan ribu rupiah\) masih diproses\. "
        r"Pesan lagi\? Ya, pesan lagi, tekan satu\. Tidak, tekan dua\.",
        asked,
    )
    call.press("2")
    assert "Halo Ni Made Sari!" in call.speech()
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Order)) == 1
    call.press("1")
    call.press("1")  # yes, order again
    assert "Tomat, dua kilo, dua puluh delapan ribu rupiah." in call.speech()
    call.press("1")

    assert "Terima kasih. Pesanan Anda sudah kami terima." in call.speech()
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Order)) == 2


def test_silence_repeats_the_prompt_twice_then_connects_to_a_person(voice_client):
    call = TwilioCall(voice_client)
    first = call.start()
    menu = call.speech()
    for _ in range(2):
        call.silence()
        assert call.speech() == menu
    call.silence()
    assert call.twiml.find("Dial").text == CALL_CENTER
    assert "sambungkan dengan petugas" in call.speech()
    assert first.find("Redirect") is not None


def test_without_a_call_center_number_silence_ends_politely(voice_settings, make_app):
    app = make_app(replace(voice_settings, call_center_number=""))
    call = TwilioCall(app.test_client())
    call.start()
    for _ in range(3):
        call.silence()
    assert call.twiml.find("Dial") is None and call.twiml.find("Hangup") is not None
    assert "Silakan telepon lagi nanti. Terima kasih." in call.speech()


def test_zero_reaches_a_person_from_every_menu(voice_client):
    presses = ["1", "1", "1", "2", "3", "3"]  # language, market, trader, item, quantity, checkout
    for depth in range(len(presses) + 1):
        call = TwilioCall(
            voice_client,
            call_sid=twilio_sid("CA", f"zero-{depth}"),
            caller=f"+62812345678{depth:02d}",
        )
        call.start()
        for digits in presses[:depth]:
            call.press(digits)
        if call.twiml.find("Record") is not None:
            call.post(call.action("Record"), {"Digits": "0", "RecordingUrl": RECORDING})
        else:
            call.press("0")
        assert call.twiml.find("Dial").text == CALL_CENTER, (depth, call.speech())
    summary = TwilioCall(
        voice_client, call_sid=twilio_sid("CA", "zero-summary"), caller="+6281234567899"
    )
    spinach_order(summary)
    assert "Total belanja" in summary.speech()
    summary.press("0")
    assert summary.twiml.find("Dial").text == CALL_CENTER


def test_an_unknown_key_gets_the_same_menu_after_a_short_not_an_option(voice_client):
    call = TwilioCall(voice_client)
    call.start()
    call.press("1")
    markets = call.speech()
    call.press("7")
    again = call.speech()
    assert again.startswith("Maaf, pilihan itu tidak ada. Pilih pasar:")
    assert markets in again


def test_hash_repeats_and_star_goes_back(voice_client):
    call = TwilioCall(voice_client)
    call.start()
    call.press("1")
    markets = call.speech()
    call.press("#")
    assert call.speech() == markets
    call.press("1")
    call.press("*")
    assert call.speech() == markets


def test_a_retried_callback_does_not_add_the_item_twice(voice_client, db: Session):
    call = TwilioCall(voice_client)
    call.start()
    for digits in ("1", "1", "1", "2"):
        call.press(digits)
    path = call.action("Gather")
    call.press("3")
    once = call.speech()
    call.post(path, {"Digits": "3"})  # Twilio retries the same step
    assert call.speech() == once
    assert "Keranjang: satu barang, sembilan ribu rupiah" in once


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl"])
def test_a_missing_or_wrong_signature_is_refused(voice_client, signature):
    call = TwilioCall(voice_client)
    if signature is None:
        call.token = "not-the-auth-token"
        response = call.signed_post("/twilio/voice", {})
    else:
        response = call.signed_post("/twilio/voice", {}, signature=signature)
    assert response.status_code == 403


def test_the_signature_covers_the_step_in_the_url(voice_client):
    call = TwilioCall(voice_client)
    call.start()
    params = {"Digits": "1"}
    signed_for_step_1 = call.signature("/twilio/voice?step=1", params)
    # The same fields with the signature of another step: only the URL differs.
    forged = call.signed_post("/twilio/voice?step=2", params, signature=signed_for_step_1)
    assert forged.status_code == 403
    good = call.signed_post("/twilio/voice?step=1", params, signature=signed_for_step_1)
    assert good.status_code == 200


def test_a_caller_number_that_does_not_parse_hears_an_apology(voice_client, db: Session):
    call = TwilioCall(voice_client, caller="anonymous")
    call.start()
    assert "Maaf, nomor Anda tidak dapat kami kenali." in call.speech()
    assert call.twiml.find("Hangup") is not None
    assert db.scalar(select(func.count()).select_from(Customer)) == 0


def test_a_recorded_prompt_is_played_instead_of_speech(voice_client, tmp_path, monkeypatch):
    recordings = tmp_path / "audio"
    (recordings / "id").mkdir(parents=True)
    (recordings / "id" / "market.title.mp3").write_bytes(b"ID3 a person saying Pilih pasar")
    monkeypatch.setattr("providers.voice.RECORDINGS_DIR", recordings)
    call = TwilioCall(voice_client)
    call.start()
    call.press("1")

    gather = call.twiml.find("Gather")
    first = list(gather)[0]
    assert first.tag == "Play"
    assert first.text == f"{PUBLIC_BASE_URL}/audio/recorded/id/market.title.mp3"
    assert "Pilih pasar" not in call.speech()  # not said twice
    with voice_client.get("/audio/recorded/id/market.title.mp3") as served:
        assert served.status_code == 200 and served.data.startswith(b"ID3")


def test_prompts_synth_without_espeak_says_how_to_install_it(voice_settings, make_app, tmp_path):
    audio_dir = tmp_path / "audio"
    app = make_app(replace(voice_settings, audio_dir=str(audio_dir)))
    result = app.test_cli_runner().invoke(args=["prompts-synth", "--espeak", "espeak-ng-missing"])
    assert result.exit_code == 1
    assert "espeak-ng-missing is not installed" in result.output
    assert "sudo apt-get install espeak-ng" in result.output
    assert not audio_dir.exists()


def test_the_language_chosen_on_the_first_call_is_remembered(voice_client):
    first = TwilioCall(voice_client, call_sid=twilio_sid("CA", "first"))
    first.start()
    first.press("2")  # Basa Bali
    assert first.speech().startswith("Pilih peken:")
    again = TwilioCall(voice_client, call_sid=twilio_sid("CA", "again"))
    again.start()
    assert again.speech().startswith("Pilih peken:")  # no language question the second time
    assert "Pasar Amlapura Barat, tekan satu." in again.speech()
