"""Courier dispatch by SMS: offers, the first YA wins, pickup, delivery, traders, timeouts.

Every message goes in through a real webhook and every answer is read from the outbox, as
the people involved would see them on their phones.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.delivery.dispatch import address_area
from storage.models import Item, Market, Offer, Order
from tests.sms_phones import Phones, later
from voice_prompts.gsm7 import count_segments

CUSTOMER = "+6281234567890"
MADE, KETUT, NYOMAN = "+6281311110001", "+6281311110002", "+6281311110003"
TIMUR = "+6281311110009"  # a courier of Pasar Amlapura Timur
BU_KOMANG, PAK_WAYAN = "+6285200000001", "+6285200000002"  # traders AB1 (B01-B05), AB2
CALL_CENTER = "+6236321234"


@pytest.fixture
def phones(app) -> Phones:
    return Phones(app)


@pytest.fixture
def couriers(phones: Phones) -> Phones:
    """Three couriers of Pasar Amlapura Barat, ready; one of Timur, ready."""
    phones.add_courier(MADE, "Pak Made")
    phones.add_courier(KETUT, "Bli Ketut")
    phones.add_courier(NYOMAN, "Pak Nyoman")
    phones.add_courier(TIMUR, "Pak Gede", market="AT")
    return phones


def order_row(db: Session, number: str) -> Order:
    db.rollback()
    return db.scalars(select(Order).where(Order.number == number)).one()


# ---------------------------------------------------------------- offers


def test_an_order_is_offered_to_the_free_couriers_of_its_market(couriers: Phones, db: Session):
    couriers.add_courier("+6281311110004", "Pak Resting", ready=False)  # never said SIAP
    number = couriers.order_by_sms(CUSTOMER)

    order = order_row(db, number)
    assert (order.state, order.offer_round) == ("offered", 1)
    offer = couriers.inbox(MADE)[-1]
    assert offer == (
        f"Telepasar: Antar pesanan {number} dari Pasar Amlapura Barat ke Banjar Kauh, "
        f"Desa Bugbug. 2 barang, talangan Rp44.000, ongkos Rp10.000. Balas YA {number}"
    )
    assert "Gatot Subroto" not in offer  # the street and house come with the job only
    assert couriers.inbox(KETUT)[-1] == couriers.inbox(NYOMAN)[-1] == offer
    assert couriers.inbox(TIMUR) == [] and couriers.inbox("+6281311110004") == []
    # The offers were written with the change of state: one transaction, one per courier.
    offers = db.scalars(select(Offer).where(Offer.order_id == order.id)).all()
    assert len(offers) == 3 and {o.state for o in offers} == {"open"}


def test_an_area_is_banjar_and_desa_never_the_whole_address():
    assert address_area("Jl. Ngurah Rai 5, Banjar Kauh, Desa Bugbug, dekat pura") == (
        "Banjar Kauh, Desa Bugbug"
    )
    assert address_area("br. Tengah ds. Seraya") == "br. Tengah, ds. Seraya"
    assert address_area("Gang Mawar 3, Subagan") == "Subagan"
    assert address_area("Rumah cat biru no 12") == ""  # the offer: "alamat dikirim setelah YA"
    assert address_area("") == ""  # a spoken address


# ---------------------------------------------------------------- the first YA wins


def test_the_first_ya_wins_and_everyone_hears_what_they_need(couriers: Phones, db: Session):
    couriers.add_trader_phone("AB1", BU_KOMANG)
    couriers.add_trader_phone("AB2", PAK_WAYAN)
    number = couriers.order_by_sms(CUSTOMER)

    job = couriers.send(KETUT, f"YA {number}")

    assert job == (
        f"Pesanan {number} untuk Anda. Ni Made Sari 0812-3456-7890, Jl. Gatot Subroto 7, "
        "Banjar Kauh, Desa Bugbug. Bu Komang (los AB1): Tomat 2 kg = Rp28.000; Pak Wayan "
        "(los AB2): Beras premium 1 kg = Rp16.000. Bayar pedagang Rp44.000, tagih pelanggan "
        f"Rp54.000. Kirim AMBIL {number} setelah belanja."
    )
    order = order_row(db, number)
    assert (order.state, order.courier.name) == ("assigned", "Bli Ketut")
    assert couriers.inbox(MADE)[-1] == f"Pesanan {number} sudah diambil kurir lain."
    assert couriers.inbox(NYOMAN)[-1] == f"Pesanan {number} sudah diambil kurir lain."
    assert couriers.inbox(CUSTOMER)[-1] == (
        f"Telepasar: Pesanan {number} diambil kurir Bli Ketut (0813-1111-0002). "
        "Kurir sedang berbelanja untuk Anda."
    )
    assert couriers.inbox(BU_KOMANG) == [
        f"Telepasar: Pesanan {number}, kurir Bli Ketut datang. Siapkan: Tomat 2 kg. "
        "Kurir bayar Rp28.000."
    ]
    assert couriers.inbox(PAK_WAYAN) == [
        f"Telepasar: Pesanan {number}, kurir Bli Ketut datang. Siapkan: Beras premium 1 kg. "
        "Kurir bayar Rp16.000."
    ]
    # A loser's YA while that notice still waits in the outbox: it is the answer, not twice.
    assert couriers.send(MADE, f"YA {number}") is None
    assert couriers.inbox(MADE).count(f"Pesanan {number} sudah diambil kurir lain.") == 1


def test_the_job_sheet_states_the_money_exactly(couriers: Phones, db: Session):
    number = couriers.order_by_sms(CUSTOMER)
    job = couriers.send(MADE, f"OK {number}")
    order = order_row(db, number)
    assert "Bu Komang (los AB1): Tomat 2 kg = Rp28.000" in job
    assert f"Bayar pedagang Rp{order.goods_total:,}".replace(",", ".") in job
    assert f"tagih pelanggan Rp{order.total:,}".replace(",", ".") in job


def test_a_bare_yes_with_no_one_or_two_offers(couriers: Phones, db: Session):
    assert couriers.send(MADE, "YES") == "Tidak ada tawaran terbuka untuk Anda saat ini."

    first = couriers.order_by_sms(CUSTOMER)
    second = couriers.order_by_sms("+6281234567891", lines="B01 1")
    assert couriers.send(MADE, "YA") == (
        f"Ada 2 tawaran: {first}, {second}. Balas YA dan nomornya, contoh YA {first}."
    )
    assert order_row(db, first).state == order_row(db, second).state == "offered"

    assert couriers.send(KETUT, f"YA {first}").startswith(f"Pesanan {first} untuk Anda.")
    assert couriers.send(NYOMAN, "YES").startswith(f"Pesanan {second} untuk Anda.")
    assert order_row(db, second).courier.name == "Pak Nyoman"


def test_a_number_that_orders_and_delivers_is_asked_never_guessed(couriers: Phones, db: Session):
    number = couriers.order_by_sms(CUSTOMER)
    couriers.send(MADE, "NAMA Pak Made")
    couriers.send(MADE, "ALAMAT Banjar Tengah, Desa Seraya")
    couriers.send(MADE, "PESAN B01 1")

    asked = couriers.send(MADE, "YA")
    assert asked == (
        f"Anda punya pesanan sendiri yang menunggu dan tawaran antar {number}. Balas YA PESAN "
        f"untuk pesanan Anda, atau YA {number} untuk mengambil tawaran."
    )
    assert order_row(db, number).state == "offered"
    assert "diterima" in couriers.send(MADE, "YA PESAN")  # their own order, placed
    assert couriers.send(MADE, f"YA {number}").startswith(f"Pesanan {number} untuk Anda.")


def test_tolak_declines_and_the_courier_is_not_asked_again(couriers: Phones, db: Session):
    number = couriers.order_by_sms(CUSTOMER)
    assert couriers.send(MADE, f"TOLAK {number}") == f"Baik, tawaran pesanan {number} Anda tolak."
    assert couriers.send(MADE, f"YA {number}") == f"Tawaran pesanan {number} sudah Anda tolak."
    assert order_row(db, number).state == "offered"


def test_when_every_courier_of_the_market_declines_every_market_is_asked_at_once(
    couriers: Phones, db: Session
):
    number = couriers.order_by_sms(CUSTOMER)
    couriers.send(MADE, f"TOLAK {number}")
    couriers.send(KETUT, f"NO {number}")
    assert couriers.inbox(TIMUR) == []
    couriers.send(NYOMAN, f"TOLAK {number}")

    assert couriers.inbox(TIMUR)[-1].endswith(f"Balas YA {number}")
    assert order_row(db, number).offer_round == 2
    assert not any(body.endswith(f"YA {number}") for body in couriers.inbox(MADE)[1:])


# ---------------------------------------------------------------- pickup and delivery


def test_pickup_and_delivery_are_told_to_the_customer(couriers: Phones, db: Session):
    number = couriers.order_by_sms(CUSTOMER)
    couriers.send(MADE, f"YA {number}")

    assert couriers.send(MADE, f"SELESAI {number}") == (
        f"Pesanan {number} belum dibelanjakan: kirim AMBIL {number} dulu, lalu SELESAI {number} "
        "setelah diantar."
    )
    assert couriers.send(KETUT, f"AMBIL {number}") == (
        f"Pesanan {number} bukan tugas Anda. Kirim STATUS untuk melihat tugas Anda."
    )
    assert couriers.send(MADE, f"AMBIL {number}") == (
        f"Dicatat: pesanan {number} sudah dibelanjakan. Tagih Rp54.000. Kirim SELESAI {number} "
        "setelah diantar."
    )
    assert couriers.inbox(CUSTOMER)[-1] == (
        f"Telepasar: Pesanan {number} sedang diantar Pak Made (0813-1111-0001). Siapkan Rp54.000."
    )
    assert couriers.send(CUSTOMER, "STATUS") == (
        f"Pesanan {number}: sedang diantar. Total Rp54.000. Kurir: Pak Made 0813-1111-0001."
    )
    assert couriers.send(MADE, "SELESAI") == (  # the number may be left out: one job at a time
        f"Terima kasih! Pesanan {number} selesai. Anda siap menerima tawaran berikutnya."
    )
    assert couriers.inbox(CUSTOMER)[-1] == (
        f"Telepasar: Pesanan {number} sudah diantar. Terima kasih sudah berbelanja!"
    )
    order = order_row(db, number)
    assert order.state == "delivered" and order.delivered_at is not None


def test_one_job_at_a_time(couriers: Phones, db: Session):
    first = couriers.order_by_sms(CUSTOMER)
    couriers.send(MADE, f"YA {first}")
    second = couriers.order_by_sms("+6281234567891", lines="B01 1")

    assert second not in " ".join(couriers.inbox(MADE))  # a courier with a job gets no offers
    assert couriers.send(MADE, f"YA {second}") == (
        f"Tidak ada tawaran pesanan {second} untuk Anda. Kirim STATUS untuk melihat tawaran Anda."
    )
    assert couriers.send(MADE, "STATUS") == (
        f"Status: siap. Tugas: pesanan {first} (kurir sudah ditemukan), tagih Rp54.000. "
        "Tidak ada tawaran."
    )
    assert couriers.send(KETUT, "STATUS") == f"Status: siap. Tidak ada tugas. Tawaran: {second}."


def test_a_courier_gives_a_job_back_and_it_is_offered_to_the_others(couriers: Phones, db: Session):
    couriers.add_trader_phone("AB1", BU_KOMANG)
    number = couriers.order_by_sms(CUSTOMER)
    couriers.send(MADE, f"YA {number}")
    assert couriers.send(MADE, "BATAL") == f"Untuk melepas pesanan {number}, kirim BATAL {number}."

    assert couriers.send(MADE, f"BATAL {number}") == (
        f"Pesanan {number} dilepas dan ditawarkan ke kurir lain."
    )
    order = order_row(db, number)
    assert (order.state, order.courier_id) == ("offered", None)
    assert couriers.inbox(CUSTOMER)[-1] == (
        f"Telepasar: Kurir tidak jadi mengantar pesanan {number}. Kami mencarikan kurir lain."
    )
    assert couriers.inbox(BU_KOMANG)[-1] == (  # told to prepare for Pak Made, now told not
        f"Telepasar: Pesanan {number}: kurir Pak Made batal mengambil Tomat 2 kg. "
        "Tunggu kabar kurir berikutnya."
    )
    assert couriers.inbox(KETUT)[-1].endswith(f"Balas YA {number}")
    assert couriers.inbox(KETUT).count(couriers.inbox(KETUT)[-1]) == 2  # offered again
    assert couriers.send(MADE, f"YA {number}") == f"Tawaran pesanan {number} sudah tidak berlaku."


def test_bad_courier_commands_change_nothing(couriers: Phones, db: Session):
    number = couriers.order_by_sms(CUSTOMER)
    assert couriers.send(MADE, "YA 99999") == (
        "Tidak ada tawaran pesanan 99999 untuk Anda. Kirim STATUS untuk melihat tawaran Anda."
    )
    assert couriers.send(MADE, "YA 12") == "Nomor pesanan 4 sampai 6 angka, contoh: BATAL 4821"
    assert (
        couriers.send(MADE, "AMBIL")
        == "Anda tidak punya tugas. Kirim STATUS untuk melihat tawaran."
    )
    assert couriers.send(CUSTOMER, f"AMBIL {number}") == (
        "Perintah AMBIL hanya untuk kurir terdaftar. Hubungi call center untuk mendaftar."
    )
    assert couriers.send(CUSTOMER, "SIAP") == (
        "Perintah SIAP hanya untuk kurir terdaftar. Hubungi call center untuk mendaftar."
    )
    assert order_row(db, number).state == "offered"


def test_bantuan_teaches_couriers_and_traders_their_own_commands(couriers: Phones):
    couriers.add_trader_phone("AB1", BU_KOMANG)
    courier_guide = couriers.send(MADE, "BANTUAN")
    assert courier_guide.startswith("Kurir: SIAP, ISTIRAHAT, YA 4821")
    assert "GAGAL 4821 alasan" in courier_guide and courier_guide.endswith("REKAP.")
    trader_guide = couriers.send(BU_KOMANG, "HELP")
    assert trader_guide.startswith("Pedagang: HABIS B04 barang habis")
    assert "REKAP hasil hari ini" in trader_guide
    assert couriers.send(CUSTOMER, "BANTUAN").startswith("Telepasar: PASAR daftar pasar")


def test_an_order_the_customer_cancelled_cannot_be_taken(couriers: Phones, db: Session):
    number = couriers.order_by_sms(CUSTOMER)
    assert couriers.send(CUSTOMER, f"BATAL {number}") == f"Pesanan {number} dibatalkan."
    assert couriers.send(MADE, f"YA {number}") == f"Pesanan {number} dibatalkan pelanggan."
    assert order_row(db, number).state == "cancelled"


def test_istirahat_stops_offers_and_siap_offers_what_is_waiting(couriers: Phones, db: Session):
    assert couriers.send(MADE, "ISTIRAHAT") == (
        "Anda istirahat, tidak ada tawaran baru. Kirim SIAP untuk mulai lagi."
    )
    number = couriers.order_by_sms(CUSTOMER)
    assert couriers.inbox(MADE) == [
        "Anda istirahat, tidak ada tawaran baru. Kirim SIAP untuk mulai lagi."
    ]

    assert (
        couriers.send(MADE, "ON")
        == "Anda siap menerima tawaran, Pak Made. Kirim ISTIRAHAT untuk berhenti."
    )
    assert couriers.inbox(MADE)[-2].endswith(f"Balas YA {number}")  # the waiting order
    assert couriers.send(MADE, "OFF").startswith("Anda istirahat")


def test_a_courier_who_sent_stop_gets_no_offers_until_start(couriers: Phones, db: Session):
    couriers.send(MADE, "STOP")
    couriers.order_by_sms(CUSTOMER)
    assert not any("Balas YA" in body for body in couriers.inbox(MADE))
    assert couriers.send(MADE, "SIAP") == (
        "Anda siap, tetapi nomor ini sudah STOP: kirim MULAI dulu agar tawaran bisa dikirim."
    )
    couriers.send(MADE, "MULAI")
    second = couriers.order_by_sms("+6281234567891", lines="B01 1")
    assert couriers.inbox(MADE)[-1].endswith(f"Balas YA {second}")


# ---------------------------------------------------------------- traders


def test_a_trader_marks_own_items_and_every_channel_sees_it(couriers: Phones, app, db: Session):
    couriers.add_trader_phone("AB1", BU_KOMANG)
    assert couriers.send(BU_KOMANG, "HABIS B04") == (
        "Dicatat: B04 Tomat habis. Kirim ADA B04 bila tersedia lagi."
    )
    assert couriers.send(CUSTOMER, "PESAN B04 1") == "Maaf, habis: Tomat."
    assert "Tomat" not in couriers.send(CUSTOMER, "MENU AB1")

    assert couriers.send(BU_KOMANG, "ada b04") == "Dicatat: B04 Tomat tersedia lagi."
    assert couriers.send(BU_KOMANG, "HARGA B04 Rp15.500") == (
        "Dicatat: harga B04 Tomat sekarang Rp15.500/kg (tadinya Rp14.000)."
    )
    assert "B04 Tomat 1 kg Rp15.500" in couriers.send(CUSTOMER, "PESAN B04 1")


def test_a_traders_and_a_couriers_commands_are_never_held_back(couriers: Phones, db: Session):
    from conversations.sms_commands import FLOOD_LIMIT

    couriers.add_trader_phone("AB1", BU_KOMANG)
    for n in range(FLOOD_LIMIT + 2):
        couriers.send(BU_KOMANG, f"HARGA B04 {14_000 + n}")
    assert couriers.send(BU_KOMANG, "HABIS B04") == (
        "Dicatat: B04 Tomat habis. Kirim ADA B04 bila tersedia lagi."
    )
    assert couriers.send(CUSTOMER, "PESAN B04 1") == "Maaf, habis: Tomat."
    for _ in range(FLOOD_LIMIT + 2):
        couriers.send(MADE, "SIAP")
    assert couriers.send(MADE, "OFF").startswith("Anda istirahat")


def test_a_trader_with_two_stalls_gets_one_sms(couriers: Phones, db: Session):
    couriers.add_trader_phone("AB1", BU_KOMANG)
    couriers.add_trader_phone("AB2", BU_KOMANG)
    number = couriers.order_by_sms(CUSTOMER)
    couriers.send(MADE, f"YA {number}")
    assert couriers.inbox(BU_KOMANG) == [
        f"Telepasar: Pesanan {number}, kurir Pak Made datang. Siapkan: Tomat 2 kg, "
        "Beras premium 1 kg. Kurir bayar Rp44.000."
    ]


def test_a_trader_cannot_touch_another_traders_items(couriers: Phones, db: Session):
    couriers.add_trader_phone("AB1", BU_KOMANG)
    reply = couriers.send(BU_KOMANG, "HABIS B06")
    assert reply == "Barang B06 bukan milik Anda. Barang Anda: B01, B02, B03, B04, B05."
    assert couriers.send(BU_KOMANG, "HABIS Z99") == (
        "Kode Z99 tidak ada. Barang Anda: B01, B02, B03, B04, B05."
    )
    assert couriers.send(BU_KOMANG, "HABIS") == "Tulis kode barang, contoh: HABIS B01"
    assert couriers.send(BU_KOMANG, "HARGA B04 murah") == (
        "Tulis harga dalam rupiah, contoh: HARGA B04 15000"
    )
    assert couriers.send(BU_KOMANG, "HARGA B04 -15000") == (
        "Tulis harga dalam rupiah, contoh: HARGA B04 15000"
    )
    assert couriers.send(BU_KOMANG, "HARGA B04 14000000") == (
        "Harga Rp14.000.000 tidak masuk akal. Harga harus antara Rp100 dan Rp300.000."
    )
    assert couriers.send(CUSTOMER, "HARGA B04 1000") == (
        "Perintah HARGA hanya untuk pedagang terdaftar. Hubungi kantor pasar untuk mendaftar."
    )
    db.rollback()
    b04, b06 = (db.scalars(select(Item).where(Item.code == c)).one() for c in ("B04", "B06"))
    assert (b04.price, b04.available, b06.available) == (14_000, True, True)


def test_ada_from_a_customer_asks_whether_there_is_any(couriers: Phones):
    assert "B04 Tomat Rp14.000/kg" in couriers.send(CUSTOMER, "ada tomat?")


def test_sold_out_between_quote_and_ya_orders_nothing_and_quotes_again(
    couriers: Phones, db: Session
):
    couriers.add_trader_phone("AB1", BU_KOMANG)
    couriers.quote(CUSTOMER, "B04 2, B06 1")
    couriers.send(BU_KOMANG, "HABIS B04")

    assert couriers.send(CUSTOMER, "YA") == (
        "Belum dipesan, ada perubahan: Maaf, habis: Tomat. B06 Beras premium 1 kg Rp16.000. "
        "Ongkir Rp10.000. Total Rp26.000. Balas YA untuk pesan, TIDAK untuk batal."
    )
    db.rollback()
    assert db.scalars(select(Order)).all() == []
    assert "diterima" in couriers.send(CUSTOMER, "YA")
    db.rollback()
    assert db.scalars(select(Order.total)).one() == 26_000


def test_a_new_price_between_quote_and_ya_is_quoted_before_it_is_charged(
    couriers: Phones, db: Session
):
    couriers.add_trader_phone("AB1", BU_KOMANG)
    couriers.quote(CUSTOMER, "B04 2")
    couriers.send(BU_KOMANG, "HARGA B04 16000")

    assert couriers.send(CUSTOMER, "YA").startswith(
        "Belum dipesan, ada perubahan: Harga Tomat kini Rp16.000/kg. B04 Tomat 2 kg Rp32.000."
    )
    couriers.send(CUSTOMER, "YA")
    db.rollback()
    assert db.scalars(select(Order.goods_total)).one() == 32_000


def test_a_new_price_and_a_sold_out_item_together_order_nothing_and_name_both(
    couriers: Phones, db: Session
):
    couriers.add_trader_phone("AB1", BU_KOMANG)
    couriers.quote(CUSTOMER, "B04 2, B01 1")
    couriers.send(BU_KOMANG, "HARGA B04 16000")
    couriers.send(BU_KOMANG, "HABIS B01")

    reply = couriers.send(CUSTOMER, "YA")

    assert reply.startswith("Belum dipesan, ada perubahan: Maaf, habis: ")
    assert "Harga Tomat kini Rp16.000/kg. B04 Tomat 2 kg Rp32.000." in reply
    db.rollback()
    assert db.scalars(select(Order)).all() == []


def test_a_new_delivery_fee_between_quote_and_ya_is_quoted_before_it_is_charged(
    couriers: Phones, db: Session
):
    couriers.quote(CUSTOMER, "B04 2")
    db.execute(Market.__table__.update().values(delivery_fee=12_000))
    db.commit()

    assert couriers.send(CUSTOMER, "YA") == (
        "Belum dipesan, ada perubahan: Ongkir kini Rp12.000. B04 Tomat 2 kg Rp28.000. "
        "Ongkir Rp12.000. Total Rp40.000. Balas YA untuk pesan, TIDAK untuk batal."
    )
    db.rollback()
    assert db.scalars(select(Order)).all() == []
    couriers.send(CUSTOMER, "YA")
    db.rollback()
    assert db.scalars(select(Order.total)).one() == 40_000


# ---------------------------------------------------------------- timeouts


def run_worker(app) -> str:
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def dispatch_app(settings, make_app):
    return make_app(replace(settings, call_center_number=CALL_CENTER, courier_offer_seconds=300))


def test_no_taker_offers_every_market_then_gives_up(dispatch_app, db: Session):
    phones = Phones(dispatch_app)
    phones.add_courier(MADE, "Pak Made")
    phones.add_courier(TIMUR, "Pak Gede", market="AT")
    number = phones.order_by_sms(CUSTOMER)
    assert "Dispatch" not in run_worker(dispatch_app)  # within the window: nothing to do
    assert phones.inbox(TIMUR) == []

    later(dispatch_app, 301)
    assert "Dispatch: 0 offered, 1 offered again, 0 with no courier." in run_worker(dispatch_app)
    assert phones.inbox(TIMUR)[-1].endswith(f"Balas YA {number}")  # every market now
    assert phones.inbox(MADE).count(phones.inbox(TIMUR)[-1]) == 2

    later(dispatch_app, 301)
    assert "1 with no courier" in run_worker(dispatch_app)
    assert order_row(db, number).state == "unassigned"
    assert phones.inbox(CALL_CENTER) == [
        f"Telepasar: Pesanan {number} (Pasar Amlapura Barat, Rp54.000) tidak dapat kurir. "
        "Pelanggan Ni Made Sari 0812-3456-7890. Mohon ditelepon."
    ]
    assert phones.inbox(CUSTOMER)[-1] == (
        f"Telepasar: Maaf, belum ada kurir untuk pesanan {number}. Petugas kami akan menelepon "
        "Anda, atau hubungi (0363) 21234."
    )
    assert phones.send(MADE, f"YA {number}") == f"Tawaran pesanan {number} sudah lewat waktu."


def test_no_courier_anywhere_is_unassigned_at_once(dispatch_app, db: Session):
    phones = Phones(dispatch_app)
    number = phones.order_by_sms(CUSTOMER)
    assert order_row(db, number).state == "unassigned"  # with the order, in one transaction
    assert len(phones.inbox(CALL_CENTER)) == 1
    confirmation = [sms for sms in phones.inbox(CUSTOMER) if f"Pesanan {number} " in sms]
    assert len(confirmation) == 1  # one SMS, never a second taking the first back
    assert confirmation[0] == (  # the total alone: the call center's number fits one SMS
        f"Telepasar: Pesanan {number} diterima, total Rp54.000. Belum ada kurir yang siap: "
        "petugas kami akan menelepon Anda, atau hubungi (0363) 21234."
    )
    assert count_segments(confirmation[0]).segments == 1
    assert "Dispatch" not in run_worker(dispatch_app)  # nothing left for the sweep


def test_a_closed_markets_order_with_no_courier_is_unassigned_at_opening(
    dispatch_app, clock, db: Session
):
    from tests.conftest import MARKET_CLOSED

    clock.now = MARKET_CLOSED
    phones = Phones(dispatch_app)
    number = phones.order_by_sms(CUSTOMER)
    run_worker(dispatch_app)
    assert order_row(db, number).state == "placed"  # nobody is needed before the opening
    clock.now = order_row(db, number).deliver_after
    assert "Dispatch: 0 offered, 0 offered again, 1 with no courier." in run_worker(dispatch_app)
    assert order_row(db, number).state == "unassigned"


def test_one_orders_failure_does_not_stop_the_sweep(dispatch_app, monkeypatch, db: Session):
    phones = Phones(dispatch_app)
    phones.add_courier(MADE, "Pak Made")
    first = phones.order_by_sms(CUSTOMER)
    second = phones.order_by_sms("+6281234567891", lines="B01 1")
    later(dispatch_app, 301)
    real_offer = __import__("domain.delivery.dispatch", fromlist=["offer_order"]).offer_order

    def broken_for_the_first(session, order, **kwargs):
        if order.number == first:
            raise RuntimeError("a bug with this one order")
        return real_offer(session, order, **kwargs)

    monkeypatch.setattr("domain.delivery.dispatch.offer_order", broken_for_the_first)
    assert "Dispatch: 0 offered, 1 offered again" in run_worker(dispatch_app)
    assert order_row(db, second).offer_round == 2
    assert order_row(db, first).offer_round == 1  # tried again on the next pass


def test_a_closed_markets_order_is_offered_at_opening(dispatch_app, clock, db: Session):
    from tests.conftest import MARKET_CLOSED

    clock.now = MARKET_CLOSED
    phones = Phones(dispatch_app)
    phones.add_courier(MADE, "Pak Made")
    number = phones.order_by_sms(CUSTOMER)
    assert order_row(db, number).state == "placed"
    run_worker(dispatch_app)
    assert phones.inbox(MADE) == []  # nobody is woken for a closed market

    opening = order_row(db, number).deliver_after
    clock.now = opening
    assert "Dispatch: 1 offered" in run_worker(dispatch_app)
    assert phones.inbox(MADE)[-1].endswith(f"Balas YA {number}")


# ---------------------------------------------------------------- customers hear the state


def test_a_returning_customer_hears_where_the_order_is_first(settings, make_app, db: Session):
    from tests.ussd import UssdSession
    from tests.voice import PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN, TwilioCall, spoken_digits

    app = make_app(
        replace(
            settings,
            twilio_auth_token=TWILIO_AUTH_TOKEN,
            at_webhook_token="at-token",
            public_base_url=PUBLIC_BASE_URL,
        )
    )
    phones = Phones(app)
    phones.add_courier(MADE, "Pak Made")
    number = phones.order_by_sms(CUSTOMER)
    phones.send(MADE, f"YA {number}")
    phones.send(MADE, f"AMBIL {number}")

    ussd = UssdSession(app.test_client(), session_id="ATUid_status", query="?token=at-token")
    screen = ussd.dial()
    assert screen.startswith(f"CON Pesanan {number} sedang diantar Pak Made.\n")

    call = TwilioCall(app.test_client())
    call.start()
    assert call.speech().startswith(f"Pesanan {spoken_digits(number)} sedang diantar Pak Made.")


def test_a_spoken_address_is_a_link_in_the_job_and_never_in_the_offer(couriers: Phones, app):
    from domain.orders import OrderLineRequest, OrderRules, place_order

    recording = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
    with app.extensions["telepasar_db"].unit_of_work() as session:
        tomatoes = session.scalars(select(Item).where(Item.code == "B04")).one()
        placed = place_order(
            session,
            phone=CUSTOMER,
            lines=[OrderLineRequest(tomatoes.id, 1)],
            name="",
            address="",
            address_recording_url=recording,
            channel="voice",
            rules=OrderRules(),
            now=app.config["TELEPASAR_CLOCK"](),
        )
    offer = couriers.inbox(MADE)[-1]
    assert "dari Pasar Amlapura Barat ke alamat dikirim setelah YA. 1 barang" in offer
    job = couriers.send(MADE, f"YA {placed.number}")
    assert f"(nama di rekaman) 0812-3456-7890, alamat direkam: {recording}." in job


def test_an_unassigned_orders_number_is_not_given_to_a_new_order(
    couriers: Phones, db: Session, monkeypatch
):
    """Staff may still reopen an unassigned order: its number stays its own."""
    from domain.delivery.dispatch import reoffer
    from domain.orders import service

    first = couriers.order_by_sms(CUSTOMER)
    db.rollback()
    db.execute(update(Order).where(Order.number == first).values(state="unassigned"))
    db.commit()
    other = 1234 if first != "2234" else 1235
    drawn = iter([int(first) - 1000, other])  # the held number first, then a free one
    monkeypatch.setattr(service.secrets, "randbelow", lambda _: next(drawn))
    second = couriers.order_by_sms("+6281234567891", lines="B01 1")
    assert second != first
    db.rollback()
    order = db.scalars(select(Order).where(Order.number == first)).one()
    assert reoffer(db, order, now=order.placed_at) > 0  # reopened, no clash
    db.commit()
