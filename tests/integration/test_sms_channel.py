"""SMS ordering by keywords, as a feature-phone user sends it (over Africa's Talking's webhook)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.messaging.outbox import enqueue_sms
from storage.models import Customer, InboundMessage, Order, OutboundMessage
from tests.conftest import FakeClock
from voice_prompts.gsm7 import count_segments

# Orders here are offered to a courier, as in a market with couriers at work.
pytestmark = pytest.mark.usefixtures("courier_on_duty")

PHONE = "+6281234567890"
_ids = itertools.count(1)


@dataclass
class SmsPhone:
    """A feature phone texting our Africa's Talking number; replies are read from the outbox."""

    client: object
    db: Session
    phone: str = PHONE
    sent_ids: list[str] = field(default_factory=list)

    def send(self, text: str, *, message_id: str | None = None) -> str | None:
        """Send `text`; returns the reply it got (None when no reply was queued)."""
        message_id = message_id or f"ATXid_{next(_ids)}"
        self.sent_ids.append(message_id)
        before = self._count()
        response = self.client.post(
            "/africastalking/sms",
            data={
                "from": self.phone,
                "to": "21234",
                "text": text,
                "id": message_id,
                "date": "2026-11-30 10:00:00",
                "linkId": "",
            },
        )
        assert response.status_code == 200
        self.db.rollback()  # read what the app committed
        replies = self.db.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.to == self.phone, OutboundMessage.kind == "reply")
            .order_by(OutboundMessage.id)
        ).all()
        return replies[-1].body if len(replies) > before else None

    def _count(self) -> int:
        self.db.rollback()
        return self.db.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.to == self.phone, OutboundMessage.kind == "reply")
        )


@pytest.fixture
def phone(client, db):
    return SmsPhone(client, db)


def test_an_order_by_sms_is_priced_first_and_placed_on_ya(phone, db: Session):
    phone.send("NAMA Ni Made Sari")
    phone.send("ALAMAT Banjar Kauh, Desa Bugbug, dekat pura")
    summary = phone.send("pesan b04 2, B06 3")
    assert summary == (
        "B04 Tomat 2 kg Rp28.000, B06 Beras premium 3 kg Rp48.000. Ongkir Rp10.000. "
        "Total Rp86.000. Balas YA untuk pesan, TIDAK untuk batal."
    )
    assert db.scalar(select(func.count()).select_from(Order)) == 0  # nothing yet

    assert phone.send("ya") is None  # the confirmation SMS is the answer
    order = db.scalars(select(Order)).one()
    assert (order.channel, order.total, order.delivery_name) == ("sms", 86_000, "Ni Made Sari")
    confirmation = db.scalars(
        select(OutboundMessage).where(OutboundMessage.kind == "order_update")
    ).one()
    assert f"Pesanan {order.number} diterima" in confirmation.body
    assert phone.send("YA").startswith("Tidak ada pesanan yang menunggu")  # nothing pending
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Order)) == 1


def test_an_order_while_the_last_is_on_its_way_is_told_first_and_needs_ya(phone, db: Session):
    phone.send("NAMA Ni Made Sari")
    phone.send("ALAMAT Banjar Kauh, Desa Bugbug, dekat pura")
    phone.send("PESAN B04 2")
    assert phone.send("YA") is None
    number = db.scalars(select(Order.number)).one()

    again = phone.send("PESAN B04 2")
    assert again == (
        f"Pesanan {number} Anda (Rp38.000) masih diproses. Pesan lagi? "
        "B04 Tomat 2 kg Rp28.000. Ongkir Rp10.000. Total Rp38.000. "
        "Balas YA untuk pesan, TIDAK untuk batal."
    )
    assert phone.send("TIDAK") == "Baik, pesanan tadi tidak diproses."
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Order)) == 1  # nothing without YA
    phone.send("PESAN B04 2")
    assert phone.send("YA") is None  # asked, and meant: the second order
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Order)) == 2


def test_a_new_customer_is_asked_for_name_and_address_before_ya(phone, db: Session):
    summary = phone.send("PESAN B04 1")
    assert summary.endswith("Sebelum YA, kirim NAMA nama Anda dan ALAMAT alamat lengkap.")
    assert phone.send("YA") == "Sebelum YA, kirim NAMA nama Anda dan ALAMAT alamat lengkap."
    phone.send("NAMA Wayan")
    phone.send("ALAMAT Banjar Kauh, Bugbug")
    assert phone.send("YA") is None
    assert db.scalars(select(Order.total)).all() == [24_000]


def test_no_reply_within_30_minutes_means_no_order(phone, db: Session, clock: FakeClock):
    phone.send("NAMA Wayan")
    phone.send("ALAMAT Banjar Kauh, Bugbug")
    phone.send("PESAN B04 1")
    clock.now += dt.timedelta(minutes=31)
    assert "lewat 30 menit" in phone.send("YA")
    assert db.scalar(select(func.count()).select_from(Order)) == 0


def test_tidak_drops_the_pending_order(phone, db: Session):
    phone.send("PESAN B04 1")
    assert phone.send("tidak") == "Baik, pesanan tadi tidak diproses."
    assert phone.send("YA").startswith("Tidak ada pesanan yang menunggu")
    assert db.scalar(select(func.count()).select_from(Order)) == 0


@pytest.mark.parametrize(
    "message, reply_starts",
    [
        ("PESAN X99 1", "Kode X99 tidak ada."),
        ("PESAN tomat 2", "Kode TOMAT tidak ada."),
        ("PESAN B04 1, T01 1", "Satu pesanan dari satu pasar saja."),
        ("PESAN B14 3", "Belanja Rp330.000 lewat batas Rp300.000."),
        ("PESAN B04 60", "Jumlah harus 1 sampai 50."),
        ("PESAN", "Tulis kode dan jumlah"),
    ],
)
def test_orders_that_cannot_be_priced_are_explained(phone, message, reply_starts):
    assert phone.send(message).startswith(reply_starts)


def test_catalog_commands_fit_one_sms(phone):
    markets = phone.send("PASAR")
    assert markets.startswith("Pasar: AB Pasar Amlapura Barat, AT Pasar Amlapura Timur")
    traders = phone.send("menu ab")
    assert traders.startswith("Pasar Amlapura Barat 1/") and "AB1 Bu Komang" in traders
    items = phone.send("MENU AB1")
    assert "B01 Kangkung Rp3.000/ikat" in items and "Lanjut: MENU AB1 2" in items
    assert "B04 Tomat Rp14.000/kg" in phone.send("MENU AB1 2")
    found = phone.send("cari telur")
    assert "T06 Telur ayam Rp2.200/butir (Pak Made)" in found
    assert phone.send("CARI durian").startswith("Tidak ada barang durian.")
    for reply in (markets, traders, items, found):
        assert count_segments(reply).segments == 1, reply


def test_a_long_list_is_paged(phone):
    first = phone.send("MENU AB")
    assert "Lanjut: MENU AB 2" in first
    second = phone.send("MENU AB 2")
    assert second.startswith("Pasar Amlapura Barat 2/2:")
    names = [
        name
        for name in ("Bu Komang", "Pak Wayan", "Men Sari", "Pak Ketut", "Bu Nyoman", "Ni Luh Ayu")
        if name in first + second
    ]
    assert len(names) == 6


def test_status_and_cancel(phone, db: Session):
    phone.send("NAMA Wayan")
    phone.send("ALAMAT Banjar Kauh, Bugbug")
    phone.send("PESAN B04 1")
    phone.send("YA")
    number = db.scalars(select(Order.number)).one()
    assert phone.send("STATUS") == f"Pesanan {number}: ditawarkan ke kurir. Total Rp24.000."
    assert phone.send(f"batal {number}") == f"Pesanan {number} dibatalkan."
    assert phone.send(f"status {number}").startswith(f"Pesanan {number}: dibatalkan.")
    assert phone.send("BATAL 999999") == "Pesanan 999999 tidak ada untuk nomor Anda."


def test_an_order_a_courier_has_cannot_be_cancelled(phone, db: Session):
    phone.send("NAMA Wayan")
    phone.send("ALAMAT Banjar Kauh, Bugbug")
    phone.send("PESAN B04 1")
    phone.send("YA")
    order = db.scalars(select(Order)).one()
    order.state = "assigned"
    db.commit()
    assert "tidak bisa dibatalkan" in phone.send(f"BATAL {order.number}")


def test_language_and_details(phone, db: Session):
    assert phone.send("BAHASA en") == "Language: English. Send HELP for the guide."
    assert phone.send("help").startswith("Telepasar: PASAR markets")
    assert phone.send("BAHASA bali").startswith("Basa: Bali.")
    assert phone.send("NAMA x") == "Wastan patut 2 kantos 60 aksara."
    customer = db.scalars(select(Customer)).one()
    assert customer.language == "ban"


def test_an_unknown_message_gets_the_guide_and_the_nearest_keyword(phone):
    assert phone.send("halo") == (
        "Maaf, maksud Anda BANTUAN? Telepasar: PASAR daftar pasar, MENU AB "
        "pedagang, CARI tomat, PESAN B04 2, STATUS, BATAL 4821, NAMA, ALAMAT, BAHASA, STOP."
    )
    assert phone.send("B04 2").startswith("Maaf, maksud Anda PESAN? Telepasar:")


def test_a_provider_retry_makes_one_order_and_one_reply(phone, db: Session):
    phone.send("NAMA Wayan")
    phone.send("ALAMAT Banjar Kauh, Bugbug")
    phone.send("PESAN B04 1", message_id="ATXid_order")
    assert phone.send("PESAN B04 1", message_id="ATXid_order") is None
    phone.send("YA", message_id="ATXid_yes")
    phone.send("YA", message_id="ATXid_yes")
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Order)) == 1
    to_the_customer = select(func.count()).where(OutboundMessage.to == phone.phone)
    assert db.scalar(to_the_customer) == 4  # 3 replies + 1 confirmation


def test_a_flood_is_held_back_answered_once_and_handled_later(
    app, phone, db: Session, clock, caplog
):
    from conversations.sms_commands import FLOOD_LIMIT
    from tests.provider_sms import run_worker

    replies = [phone.send("halo") for _ in range(FLOOD_LIMIT + 4)]
    assert all(reply and reply.startswith("Maaf") for reply in replies[:FLOOD_LIMIT])
    assert replies[FLOOD_LIMIT] == (
        "Terlalu banyak SMS dalam waktu singkat. "
        "SMS Anda kami simpan dan kami baca berurutan mulai 10 menit lagi."
    )
    assert replies[FLOOD_LIMIT + 1 :] == [None, None, None]
    assert "SMS flood from +62812****7890" in caplog.text
    assert "6281234567890" not in caplog.text
    waiting = select(func.count()).where(InboundMessage.state == "pending")
    assert db.scalar(waiting) == 4

    clock.now += dt.timedelta(minutes=9)
    run_worker(app)  # not yet: the promise says 10 minutes
    db.rollback()
    assert db.scalar(waiting) == 4
    clock.now += dt.timedelta(minutes=1, seconds=1)
    run_worker(app)
    db.rollback()
    assert db.scalar(waiting) == 0  # every held message really was read
    later = db.scalars(
        select(OutboundMessage.body)
        .where(OutboundMessage.to == PHONE, OutboundMessage.kind == "reply")
        .order_by(OutboundMessage.id.desc())
        .limit(4)
    ).all()
    assert all(body.startswith("Maaf") for body in later)


def test_a_long_flood_is_told_once_an_hour_and_every_message_is_read(
    app, phone, db: Session, clock
):
    from conversations.sms_commands import FLOOD_LIMIT
    from tests.provider_sms import run_worker

    for _ in range(FLOOD_LIMIT):
        phone.send("halo")
        clock.now += dt.timedelta(seconds=10)
    for _ in range(6):
        phone.send("halo")
    clock.now += dt.timedelta(minutes=5)  # the first of the 30 leaves the window
    for _ in range(12):  # the worker reads the held ones as the window frees, one by one
        clock.now += dt.timedelta(seconds=10)
        run_worker(app)
    db.rollback()
    bodies = db.scalars(select(OutboundMessage.body).where(OutboundMessage.to == PHONE)).all()
    assert sum(body.startswith("Terlalu banyak SMS") for body in bodies) == 1
    assert db.scalar(select(func.count()).where(InboundMessage.state == "pending")) == 0
    assert sum(body.startswith("Maaf") for body in bodies) == FLOOD_LIMIT + 6


def test_a_number_can_have_only_so_many_messages_held(app, phone, db: Session, monkeypatch):
    from conversations import sms_commands

    monkeypatch.setattr(sms_commands, "FLOOD_LIMIT", 2)
    monkeypatch.setattr(sms_commands, "FLOOD_HELD_MAX", 3)
    for _ in range(8):
        phone.send("halo")
    db.rollback()
    states = db.scalars(select(InboundMessage.state).order_by(InboundMessage.id)).all()
    assert states == ["handled"] * 2 + ["pending"] * 3 + ["dead"] * 3


def test_a_held_order_is_never_overtaken_by_its_ya(app, phone, db: Session, clock):
    from conversations.sms_commands import FLOOD_LIMIT
    from tests.provider_sms import run_worker

    phone.send("NAMA Wayan")
    phone.send("ALAMAT Banjar Kauh, Bugbug")
    for _ in range(FLOOD_LIMIT - 2):
        phone.send("PASAR")
    assert phone.send("PESAN B04 1").startswith("Terlalu banyak SMS")
    clock.now += dt.timedelta(minutes=11)
    assert phone.send("YA") is None  # waits behind the PESAN it confirms
    run_worker(app)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Order)) == 1


def test_after_stop_only_answers_and_news_of_later_orders_go_out(phone, db: Session, clock):
    phone.send("NAMA Wayan")
    phone.send("ALAMAT Banjar Kauh, Bugbug")
    phone.send("PESAN B04 1")
    phone.send("YA")
    earlier_order = db.scalars(select(Order)).one()
    clock.now += dt.timedelta(minutes=1)
    assert phone.send("STOP").startswith("Anda tidak akan menerima SMS info")

    announcement = enqueue_sms(
        db, to=PHONE, body="Pasar buka sampai sore!", kind="announcement", now=clock.now
    )
    about_earlier = enqueue_sms(
        db, to=PHONE, body="Kurir di jalan", kind="order_update", order=earlier_order, now=clock.now
    )
    db.commit()
    assert announcement.state == "refused" and "sent STOP" in announcement.last_error
    assert (
        about_earlier.state == "refused"
        and "after this order was placed" in about_earlier.last_error
    )

    clock.now += dt.timedelta(minutes=1)
    assert phone.send("STATUS").startswith("Pesanan ")  # answers still go out
    phone.send("PESAN B04 1")
    phone.send("YA")
    later = db.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.kind == "order_update")
        .order_by(OutboundMessage.id.desc())
    ).first()
    assert later.state == "pending"  # news of an order placed after STOP is sent

    assert phone.send("MULAI").startswith("Selamat datang kembali")
    again = enqueue_sms(
        db, to=PHONE, body="Pasar buka sampai sore!", kind="announcement", now=clock.now
    )
    db.commit()
    assert again.state == "pending"


def test_the_numbered_menus_over_sms(phone, db: Session):
    first = phone.send("MENU")
    assert first.startswith("Selamat datang di Telepasar")
    assert phone.send("1").startswith("Pilih pasar:")
    phone.send("1")
    phone.send("1")
    phone.send("4")
    assert "Tomat 2 kg masuk keranjang." in phone.send("2")
    assert phone.send("3").startswith("Ketik nama Anda:")
    assert phone.send("Ni Made Sari").startswith("Ketik alamat antar")
    summary = phone.send("Banjar Kauh, Desa Bugbug")
    assert summary.startswith("Total Rp38.000")
    assert phone.send("1").startswith("Terima kasih! Pesanan ")
    db.rollback()
    assert db.scalars(select(Order.channel)).all() == ["sms"]
    assert (
        phone.send("1")
        == "Ketik MENU untuk memesan lewat pilihan angka, atau BANTUAN untuk panduan."
    )
