"""The missed-call number over each provider's webhook (signed, token-checked): the ring is
rejected unanswered, the worker places the call back through the real SDK at the fake
provider, the answered call back is walked to a placed order with its SMS; unanswered, the
SMS offer goes out and `YA` places it. Unknown numbers, repeated rings and quiet hours."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gateway.worker import Worker
from providers.senders import LogSender
from simulator.phone import Call
from simulator.voice_markup import READERS
from simulator.webhooks import AppTransport, Webhooks, new_id, path_of
from storage.models import Order, OutboundCall, OutboundMessage
from tests.conftest import MARKET_OPEN, FakeClock
from tests.db_faults import write_lock_held
from tests.sms_phones import Phones
from tests.voice import spoken_digits

CUSTOMER = "+6281234567890"
STRANGER = "+6281255550000"
CALLBACK_FROM = "+6236322100"  # tests/fake_providers.pointed_at
CALL_CENTER = "+6236322000"
MISSED = {"twilio": "/twilio/missed", "africastalking": "/africastalking/missed"}


@pytest.fixture
def app(route_settings, make_app):
    return make_app(
        replace(route_settings, missed_call_enabled=True, call_center_number=CALL_CENTER)
    )


@pytest.fixture
def hooks(app, clock) -> Webhooks:
    """The providers' side: requests signed (Twilio) or with the token (Africa's Talking)."""
    return Webhooks(app.config["TELEPASAR_SETTINGS"], AppTransport(app), clock)


@pytest.fixture
def regular(app, db: Session) -> Phones:
    """Ni Made Sari ordered 2 kg of tomatoes by SMS last week; it was delivered."""
    phones = Phones(app)
    phones.add_courier("+6281311110001", "Pak Made")
    phones.send(CUSTOMER, "NAMA Ni Made Sari")
    phones.send(CUSTOMER, "ALAMAT Banjar Kauh, Desa Bugbug")
    phones.order_by_sms(CUSTOMER, lines="B04 2")
    db.execute(update(Order).values(state="delivered"))
    db.commit()
    return phones


def ring(hooks: Webhooks, provider: str, phone: str) -> ET.Element:
    """One ring on the missed-call number, as the provider posts it; its XML answer."""
    if provider == "twilio":
        form = {"CallSid": new_id("CA"), "From": phone, "CallStatus": "ringing"}
    else:
        form = {"isActive": "1", "sessionId": new_id("ATVId_"), "callerNumber": phone}
    answer = hooks.voice(provider, MISSED[provider], form)
    assert answer.status == 200, answer.text
    return ET.fromstring(answer.text)


def worker(app, clock) -> Worker:
    return Worker(
        app.extensions["telepasar_db"],
        LogSender(echo=lambda line: None),
        app.config["TELEPASAR_SETTINGS"],
        clock,
    )


def calls(db: Session) -> list[OutboundCall]:
    db.rollback()
    return db.scalars(select(OutboundCall).order_by(OutboundCall.id)).all()


def answer_call_back(hooks: Webhooks, provider: str, placed: dict[str, str]) -> tuple[Call, str]:
    """The customer picks up the call back: the provider posts its first request."""
    if provider == "twilio":
        path = path_of(placed["Url"])
        form = {
            "CallSid": placed["sid"],
            "From": CALLBACK_FROM,
            "To": CUSTOMER,
            "CallStatus": "in-progress",
            "Direction": "outbound-api",
        }
    else:
        path = "/africastalking/voice"
        form = {
            "isActive": "1",
            "sessionId": placed["sid"],
            "direction": "Outbound",
            "callerNumber": CALLBACK_FROM,
            "destinationNumber": CUSTOMER,
        }
    step = READERS[provider](hooks.voice(provider, path, form).text)
    call = Call(provider, placed["sid"], step.action, step.on_silence, step.listen)
    return call, "\n".join(prompt.text for prompt in step.prompts)


@pytest.mark.parametrize("provider", ["twilio", "africastalking"])
def test_a_missed_call_is_rejected_then_called_back_and_reorders(
    provider, app, hooks, regular, fake, clock, db: Session
):
    reply = ring(hooks, provider, CUSTOMER)
    reject = reply.find("Reject")
    assert reject is not None and len(reply) == 1  # not answered: nothing to pay
    if provider == "twilio":
        assert reject.get("reason") == "busy"
    [waiting] = calls(db)
    assert (waiting.state, waiting.next_try_at, waiting.provider) == ("pending", clock(), provider)

    worker(app, clock).run_once()
    [placed] = fake.calls
    if provider == "twilio":  # calls.create through the SDK
        assert (placed["To"], placed["From"]) == (CUSTOMER, CALLBACK_FROM)
        assert placed["Url"] == f"https://telepasar.example/twilio/callback?call={waiting.id}"
        assert placed["StatusCallback"].endswith(f"/twilio/callback/status?call={waiting.id}")
    else:  # Voice.call through the SDK
        assert (placed["to"], placed["from"]) == (CUSTOMER, CALLBACK_FROM)
    assert calls(db)[0].state == "ringing"

    call, greeting = answer_call_back(hooks, provider, placed)
    assert "Ni Made Sari, ini Telepasar menelepon balik. Pesanan terakhir Anda:" in greeting
    assert "Total" in greeting and "Untuk memesan lagi" in greeting
    assert "Untuk bicara dengan petugas" in greeting
    assert calls(db)[0].state == "answered"
    final = "\n".join(p.text for p in call.press(hooks, CUSTOMER, "1").prompts)

    db.rollback()
    newest = db.scalars(select(Order).order_by(Order.id.desc())).first()
    assert db.scalar(select(func.count()).select_from(Order)) == 2
    assert (newest.channel, newest.goods_total) == ("voice", 28_000)
    if provider == "twilio":  # Africa's Talking plays the number as audio pieces
        assert final.count(spoken_digits(newest.number)) == 2  # read twice
    assert f"Pesanan {newest.number} diterima" in regular.inbox(CUSTOMER)[-1]


@pytest.mark.parametrize("provider", ["twilio", "africastalking"])
def test_an_unanswered_call_back_sends_the_offer_and_ya_places_it(
    provider, app, hooks, regular, fake, clock, db: Session
):
    ring(hooks, provider, CUSTOMER)
    worker(app, clock).run_once()
    [placed] = fake.calls
    if provider == "twilio":
        status = path_of(placed["StatusCallback"])
        form = {
            "CallSid": placed["sid"],
            "From": CALLBACK_FROM,
            "To": CUSTOMER,
            "CallStatus": "no-answer",
        }
        assert hooks.voice(provider, status, form).status == 204
    else:
        form = {
            "isActive": "0",
            "sessionId": placed["sid"],
            "direction": "Outbound",
            "callerNumber": CALLBACK_FROM,
            "destinationNumber": CUSTOMER,
        }
        assert hooks.voice(provider, "/africastalking/voice", form).status == 200
    assert calls(db)[0].state == "unanswered"
    offer = regular.inbox(CUSTOMER)[-1]
    assert offer == (
        "Telepasar: kami menelepon, tidak diangkat. Pesan lagi B04 Tomat 2 kg Rp28.000? "
        "Ongkir Rp10.000. Total Rp38.000. Balas YA untuk pesan, TIDAK untuk batal."
    )

    regular.send(CUSTOMER, "YA")
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Order)) == 2
    assert "diterima" in regular.inbox(CUSTOMER)[-1]


def test_an_unknown_number_is_told_how_to_order_once(app, hooks, db: Session):
    ring(hooks, "twilio", STRANGER)
    ring(hooks, "twilio", STRANGER)
    db.rollback()
    told = db.scalars(select(OutboundMessage.body).where(OutboundMessage.to == STRANGER)).all()
    assert told == [
        "Telepasar: belanja pasar lewat HP apa saja. Tekan *123#, telepon (0363) 22100, atau "
        "SMS PESAN B04 2 (kode barang, jumlah). Daftar pasar: SMS PASAR."
    ]
    assert calls(db) == []


def test_repeated_missed_calls_start_one_call_back(app, hooks, regular, fake, clock, db):
    for _ in range(4):
        ring(hooks, "twilio", CUSTOMER)
        clock.now += dt.timedelta(minutes=2)
    [waiting] = calls(db)
    assert waiting.missed_calls == 4
    worker(app, clock).run_once()
    worker(app, clock).run_once()
    assert len(fake.calls) == 1


def test_a_missed_call_at_night_is_called_back_at_the_next_opening(
    app, hooks, regular, fake, clock: FakeClock, db: Session
):
    # Monday 22:00 WITA: the market opens again Tuesday 06:00, the quiet hours end 07:00.
    clock.now = MARKET_OPEN.replace(hour=14)
    ring(hooks, "twilio", CUSTOMER)
    [waiting] = calls(db)
    tuesday_seven = dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)  # 07:00 WITA
    assert waiting.next_try_at == tuesday_seven

    worker(app, clock).run_once()  # at 22:00: nobody is called
    clock.now = tuesday_seven - dt.timedelta(minutes=30)
    worker(app, clock).run_once()  # 06:30: the market is open, but it is too early to call
    assert fake.calls == []
    clock.now = tuesday_seven
    worker(app, clock).run_once()
    assert len(fake.calls) == 1


def test_with_quiet_hours_ending_earlier_the_call_back_comes_at_the_opening(
    route_settings, make_app, clock: FakeClock, db: Session
):
    app = make_app(
        replace(route_settings, missed_call_enabled=True, callback_quiet_hours="21:00-05:00")
    )
    hooks = Webhooks(app.config["TELEPASAR_SETTINGS"], AppTransport(app), clock)
    Phones(app).order_by_sms(CUSTOMER, lines="B04 2")
    clock.now = MARKET_OPEN.replace(hour=14)  # 22:00 WITA
    ring(hooks, "twilio", CUSTOMER)
    [waiting] = calls(db)
    assert waiting.next_try_at == dt.datetime(2026, 11, 30, 22, 0, tzinfo=dt.UTC)  # 06:00 WITA


def test_switched_off_the_ring_is_still_rejected_and_nothing_is_kept(
    route_settings, make_app, clock, db: Session
):
    app = make_app(route_settings)  # MISSED_CALL_ENABLED defaults to off
    hooks = Webhooks(app.config["TELEPASAR_SETTINGS"], AppTransport(app), clock)
    assert ring(hooks, "africastalking", CUSTOMER).find("Reject") is not None
    assert calls(db) == []


def test_two_on_the_call_back_puts_it_through_to_a_person(app, hooks, regular, fake, clock):
    ring(hooks, "twilio", CUSTOMER)
    worker(app, clock).run_once()
    call, _ = answer_call_back(hooks, "twilio", fake.calls[0])
    step = call.press(hooks, CUSTOMER, "2")
    assert step.transfer_to == CALL_CENTER and call.ended


def test_a_call_back_while_the_last_order_is_on_its_way_says_so_first(
    app, hooks, fake, clock, db: Session
):
    phones = Phones(app)
    phones.add_courier("+6281311110001", "Pak Made")
    phones.send(CUSTOMER, "NAMA Ni Made Sari")
    phones.send(CUSTOMER, "ALAMAT Banjar Kauh, Desa Bugbug")
    number = phones.order_by_sms(CUSTOMER, lines="B04 2")  # offered, not delivered
    ring(hooks, "twilio", CUSTOMER)
    worker(app, clock).run_once()
    _, greeting = answer_call_back(hooks, "twilio", fake.calls[0])
    said = f"Pesanan {spoken_digits(number)} Anda (tiga puluh delapan ribu rupiah) masih diproses."
    assert greeting.startswith(said)


def test_a_call_back_that_cannot_be_placed_dies_and_the_console_can_try_again(
    app, hooks, regular, fake, clock: FakeClock, db: Session
):
    from tests.integration.test_console import add_staff, log_in, token

    fake.fail_next = 3
    ring(hooks, "twilio", CUSTOMER)
    for _ in range(3):
        worker(app, clock).run_once()
        clock.now += dt.timedelta(minutes=20)  # past every backoff
    [dead] = calls(db)
    assert (dead.state, dead.attempts) == ("dead", 3) and "Twilio 500" in dead.last_error

    add_staff(app, "kadek", "admin")
    console = app.test_client()
    log_in(console, "kadek")
    page = console.get("/console/messages").get_data(as_text=True)
    assert "Panggilan balik (miskol)" in page and "gagal (3)" in page
    console.post(
        f"/console/messages/calls/{dead.id}/retry",
        data={"csrf_token": token(console, "/console/messages")},
    )
    assert calls(db)[0].state == "pending"
    worker(app, clock).run_once()
    assert calls(db)[0].state == "ringing" and len(fake.calls) == 1


def test_two_rings_at_the_same_moment_still_make_one_call_back(
    app, hooks, regular, monkeypatch, db: Session
):
    """The second ring's look-up misses the first (as when both arrive together): the unique
    index of waiting call backs refuses the second row, and the ring is counted instead."""
    from domain.messaging import callbacks

    ring(hooks, "twilio", CUSTOMER)
    looked_up = callbacks._merged
    misses = iter([True])
    monkeypatch.setattr(
        callbacks,
        "_merged",
        lambda *args: False if next(misses, False) else looked_up(*args),
    )
    assert ring(hooks, "twilio", CUSTOMER).find("Reject") is not None
    [waiting] = calls(db)
    assert waiting.missed_calls == 2


def test_without_a_provider_account_call_backs_are_printed_while_sms_are(settings):
    from providers.senders import LogCaller, make_callers

    printed = make_callers(settings)  # SMS_PROVIDER=log, no provider account
    assert set(printed) == {"twilio", "africastalking"}
    assert all(isinstance(caller, LogCaller) for caller in printed.values())
    assert make_callers(replace(settings, sms_provider="android")) == {}  # production: none


def test_a_ring_that_cannot_be_stored_is_not_acknowledged(
    route_settings, make_app, clock, db: Session
):
    """The database is write-locked: 503 (the provider's fallback URL takes the call), no
    reject, since a reject would tell the provider all is well."""
    locked = replace(route_settings, missed_call_enabled=True, database_lock_wait_seconds=0.5)
    hooks = Webhooks(locked, AppTransport(make_app(locked)), clock)
    form = {"CallSid": new_id("CA"), "From": STRANGER, "CallStatus": "ringing"}
    with write_lock_held(locked):
        answer = hooks.voice("twilio", MISSED["twilio"], form)
    assert answer.status == 503
    db.rollback()
    assert db.scalars(select(OutboundMessage).where(OutboundMessage.to == STRANGER)).all() == []
