"""A USSD order end to end over HTTP, as Africa's Talking drives it, checked in the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import Conversation, Courier, Customer, Item, Market, Order, OutboundMessage
from tests.conftest import MARKET_CLOSED, FakeClock
from tests.ussd import UssdSession, option_key

# Orders here are offered to a courier, as in a market with couriers at work.
pytestmark = pytest.mark.usefixtures("courier_on_duty")

ADDRESS = "Banjar Dinas Bukit, Desa Bukit, dekat pura desa"


def order_tomatoes_and_rice(ussd: UssdSession) -> str:
    """A first-time caller orders 2 kg of tomatoes and 3 kg of rice at Pasar Amlapura Barat."""
    screen = ussd.dial()
    assert "Pilih bahasa" in screen
    screen = ussd.press(option_key(screen, "Bahasa Indonesia"))
    assert "Pilih pasar" in screen
    screen = ussd.press(option_key(screen, "Pasar Amlapura Barat"))
    screen = ussd.press(option_key(screen, "Bu Komang"))
    screen = ussd.press(option_key(screen, "Tomat"))
    assert "Berapa kg?" in screen
    screen = ussd.press("2")
    assert "Tomat 2 kg masuk keranjang" in screen
    assert "Keranjang: 1 barang, Rp28.000" in screen
    screen = ussd.press(option_key(screen, "Tambah barang"))
    screen = ussd.press(option_key(screen, "Pak Wayan"))
    screen = ussd.press(option_key(screen, "Beras premium"))
    screen = ussd.press("3")
    assert "Keranjang: 2 barang, Rp76.000" in screen
    screen = ussd.press(option_key(screen, "Selesai & pesan"))
    assert "Ketik nama Anda" in screen
    screen = ussd.press("Ni Made Sari")
    assert "alamat" in screen
    return ussd.press(ADDRESS)


def test_a_first_time_caller_orders_by_ussd_and_gets_a_confirmation_sms(client, db: Session):
    ussd = UssdSession(client, phone="+6281234567890")
    summary = order_tomatoes_and_rice(ussd)

    assert summary == (
        "CON Total Rp86.000 (ongkir Rp10.000), bayar tunai:\n"
        "Tomat 2 kg Rp28.000\n"
        "Beras premium 3 kg Rp48.000\n"
        "1. Pesan sekarang\n"
        "2. Ubah keranjang\n"
        "0. Kembali"
    )
    final = ussd.press(option_key(summary, "Pesan sekarang"))

    assert final.startswith("END Terima kasih! Pesanan ")
    order = db.scalars(select(Order)).one()
    assert f"Pesanan {order.number} diterima. Total Rp86.000" in final
    assert final.endswith("Kurir sedang dicari dan akan menelepon Anda.")  # offered at once
    assert order.number.isdigit() and 4 <= len(order.number) <= 6
    assert (order.goods_total, order.delivery_fee, order.total) == (76_000, 10_000, 86_000)
    assert order.state == "offered" and order.channel == "ussd"  # to the courier on duty
    assert order.deliver_after is None  # the market is open
    assert [(line.item_name, line.quantity, line.line_total) for line in order.lines] == [
        ("Tomat", 2, 28_000),
        ("Beras premium", 3, 48_000),
    ]
    customer = order.customer
    assert (customer.phone, customer.name, customer.address, customer.language) == (
        "+6281234567890",
        "Ni Made Sari",
        ADDRESS,
        "id",
    )
    sms = db.scalars(select(OutboundMessage).where(OutboundMessage.to == "+6281234567890")).one()
    assert sms.order_id == order.id and sms.kind == "order_update" and sms.state == "pending"
    assert f"Pesanan {order.number} diterima" in sms.body
    assert "Rp76.000 + ongkir Rp10.000 = Rp86.000" in sms.body
    assert (sms.encoding, sms.segments) == ("GSM-7", 1)


def test_an_order_outside_market_hours_is_accepted_for_the_next_opening(
    client, db: Session, clock: FakeClock
):
    clock.now = MARKET_CLOSED  # Monday 16:00 WITA
    ussd = UssdSession(client)
    summary = order_tomatoes_and_rice(ussd)
    assert "Pasar tutup, diantar Selasa 06.00." in summary

    final = ussd.press(option_key(summary, "Pesan sekarang"))

    assert final.endswith("Pasar sedang tutup: kurir kami cari saat pasar buka Selasa 06.00.")
    assert "Kurir sedang dicari" not in final and "menelepon" not in final
    order = db.scalars(select(Order)).one()
    assert order.deliver_after == dt.datetime(2026, 11, 30, 22, 0, tzinfo=dt.UTC)
    sms = db.scalars(select(OutboundMessage)).one()
    assert sms.body.endswith("Pasar tutup: kurir dicari saat buka Selasa 06.00.")


def test_with_no_courier_free_the_closing_screen_says_staff_will_call_and_nothing_more(
    settings, make_app, db: Session
):
    app = make_app(replace(settings, call_center_number="+6236321234"))
    db.execute(update(Courier).values(available=False))  # the courier on duty rests
    db.commit()
    ussd = UssdSession(app.test_client())
    final = ussd.press(option_key(order_tomatoes_and_rice(ussd), "Pesan sekarang"))

    assert final.endswith("Belum ada kurir siap: petugas kami akan menelepon Anda.")
    assert "Kurir sedang dicari" not in final
    order = db.scalars(select(Order)).one()
    assert order.state == "unassigned"
    sms = db.scalars(select(OutboundMessage).where(OutboundMessage.to == ussd.phone)).one()
    assert sms.body.endswith(  # the SMS has room for the call center's number
        "Belum ada kurir yang siap: petugas kami akan menelepon Anda, atau hubungi (0363) 21234."
    )


def test_a_repeated_request_gets_the_same_screen_and_changes_nothing(client, db: Session):
    ussd = UssdSession(client)
    summary = order_tomatoes_and_rice(ussd)
    final = ussd.press(option_key(summary, "Pesan sekarang"))

    assert ussd.repeat() == final
    assert ussd.repeat() == final
    assert db.scalar(select(func.count()).select_from(Order)) == 1
    assert db.scalars(select(OutboundMessage.kind)).all() == ["order_update", "offer"]


def test_a_repeated_request_mid_order_does_not_add_the_item_twice(client, db: Session):
    ussd = UssdSession(client)
    ussd.dial()
    ussd.press("1", "1", "1", "4")
    cart = ussd.press("2")
    assert ussd.repeat() == cart
    assert "Keranjang: 1 barang, Rp28.000" in ussd.repeat()
    assert "Keranjang: 1 barang, Rp28.000" in ussd.press("9")  # unknown key, same basket


def test_a_returning_caller_repeats_the_last_order_in_two_key_presses(client, db: Session):
    first = UssdSession(client, session_id="ATUid_first")
    first.press(option_key(order_tomatoes_and_rice(first), "Pesan sekarang"))
    db.execute(update(Order).values(state="delivered"))  # last week's order, long delivered
    db.commit()

    again = UssdSession(client, session_id="ATUid_again")
    home = again.dial()
    assert home.splitlines()[:2] == [
        "CON Halo Ni Made Sari! Mau belanja apa?",
        "1. Ulangi pesanan terakhir (Rp86.000)",
    ]
    summary = again.press("1")
    assert "Tomat 2 kg Rp28.000" in summary and "Total Rp86.000" in summary
    final = again.press("1")

    assert final.startswith("END Terima kasih!")
    db.rollback()  # read what the app wrote since
    orders = db.scalars(select(Order).order_by(Order.id)).all()
    assert len(orders) == 2 and orders[0].number != orders[1].number
    assert [line.item_name for line in orders[1].lines] == ["Tomat", "Beras premium"]


@pytest.mark.parametrize("choice", ["Ulangi pesanan terakhir", "Pesan baru"])
def test_an_order_while_the_last_is_on_its_way_is_asked_first(client, db: Session, choice):
    first = UssdSession(client, session_id="ATUid_first")
    first.press(option_key(order_tomatoes_and_rice(first), "Pesan sekarang"))
    number = db.scalars(select(Order.number)).one()

    again = UssdSession(client, session_id="ATUid_again")
    home = again.dial()
    assert home.splitlines()[:3] == [  # the open order first, then the main menu
        f"CON Pesanan {number} sedang dicarikan kurir.",
        "Halo Ni Made Sari! Mau belanja apa?",
        "1. Ulangi pesanan terakhir (Rp86.000)",
    ]
    asked = again.press(option_key(home, choice))
    assert asked == (
        f"CON Pesanan {number} Anda (Rp86.000) masih diproses. Pesan lagi?\n"
        "1. Ya, pesan lagi\n2. Tidak\n0. Kembali"
    )
    home = again.press("2")  # no: the main menu again, nothing placed
    assert "Halo Ni Made Sari! Mau belanja apa?" in home
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Order)) == 1

    again.press(option_key(home, choice))
    go_on = again.press("1")  # yes: the repeat's summary, or the markets for a new order
    if choice == "Pesan baru":
        assert go_on.startswith("CON Pilih pasar:")
        return
    assert "Total Rp86.000" in go_on
    assert again.press(option_key(go_on, "Pesan sekarang")).startswith("END Terima kasih!")
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Order)) == 2


def test_a_dropped_session_is_offered_for_resuming_within_ten_minutes(
    client, db: Session, clock: FakeClock
):
    dropped = UssdSession(client, session_id="ATUid_dropped")
    dropped.dial()
    dropped.press("1", "1", "1", "4", "2")  # 2 kg tomatoes in the basket, then the line drops

    clock.now += dt.timedelta(minutes=9)
    again = UssdSession(client, session_id="ATUid_again")
    offer = again.dial()
    assert offer == (
        "CON Pesanan tadi belum selesai (1 barang, Rp28.000). Lanjutkan?\n"
        "1. Lanjutkan\n2. Mulai baru"
    )
    resumed = again.press("1")
    assert "Keranjang: 1 barang, Rp28.000" in resumed

    summary = again.press("3", "Ni Made Sari", ADDRESS)
    assert "Tomat 2 kg Rp28.000" in summary
    assert again.press("1").startswith("END Terima kasih!")

    # The basket became an order: the next call is not offered it again.
    clock.now += dt.timedelta(minutes=1)
    third = UssdSession(client, session_id="ATUid_third").dial()
    assert third.startswith("CON Pesanan ") and "\nHalo Ni Made Sari!" in third


def test_resuming_is_offered_not_forced(client, db: Session):
    UssdSession(client, session_id="ATUid_a").press("1", "1", "1", "4", "2")
    again = UssdSession(client, session_id="ATUid_b")
    again.dial()
    fresh = again.press("2")
    assert fresh.startswith("CON Pilih pasar:")
    cart = again.press("1", "1", "1", "1")  # kangkung only: the old tomatoes are gone
    assert "Keranjang: 1 barang, Rp3.000" in cart


def test_no_resume_offer_after_ten_minutes(client, db: Session, clock: FakeClock):
    UssdSession(client, session_id="ATUid_a").press("1", "1", "1", "4", "2")
    clock.now += dt.timedelta(minutes=11)
    assert UssdSession(client, session_id="ATUid_b").dial().startswith("CON Pilih pasar:")


def test_back_and_next_page(client):
    ussd = UssdSession(client)
    ussd.press("1")
    vendors = ussd.press("1")
    assert vendors.startswith("CON Pasar Amlapura Barat, pilih pedagang:")
    assert "98. Lanjut" in vendors and "Bu Nyoman" not in vendors
    page_two = ussd.press("98")
    assert "Bu Nyoman" in page_two and "Bu Komang" not in page_two
    assert ussd.press("0") == vendors  # 0 on a later page goes to the previous page
    page_two = ussd.press("98")
    items = ussd.press(option_key(page_two, "Bu Nyoman"))
    assert items.startswith("CON Bu Nyoman, pilih barang:")
    assert ussd.press("0") == vendors  # back to the trader list
    assert ussd.press("0").startswith("CON Pilih pasar:")
    assert ussd.press("0").startswith("CON Selamat datang di Telepasar")  # language, first screen


def test_double_zero_returns_to_the_main_menu_keeping_the_basket(client):
    ussd = UssdSession(client)
    ussd.dial()
    ussd.press("1", "1", "1", "4", "2", "1")
    assert ussd.press("00").startswith("CON Pilih pasar:")
    ussd.press("1")
    cart = ussd.press("1", "1", "1")
    assert "Keranjang: 2 barang, Rp31.000" in cart  # tomatoes + 1 bunch of kangkung


def test_an_unknown_key_shows_the_same_menu_with_a_short_explanation(client):
    ussd = UssdSession(client)
    markets = ussd.press("1")
    for bad in ("7", "abc", "", "*#*", "🍅", "9" * 200):
        screen = ussd.press(bad)
        assert screen.startswith("CON Pilihan tidak ada.\nPilih pasar:"), screen
        assert screen.removeprefix("CON Pilihan tidak ada.\n") == markets.removeprefix("CON ")


def test_an_invalid_quantity_is_explained(client):
    ussd = UssdSession(client)
    ussd.press("1", "1", "1", "4")
    for bad in ("0 kg", "-1", "51", "²", "1.5"):
        assert "Ketik angka 1 sampai 50." in ussd.press(bad)


def test_switching_market_with_a_full_basket_asks_first(client):
    ussd = UssdSession(client)
    ussd.press("1", "1", "1", "4", "2")
    ussd.press("00")
    ask = ussd.press("2")
    assert "Keranjang berisi barang dari Pasar Amlapura Barat" in ask
    assert ussd.press("2").startswith("CON Pilih pasar:")
    ussd.press("2")
    emptied = ussd.press("1")
    assert emptied.startswith("CON Pasar Amlapura Timur, pilih pedagang:")
    cart = ussd.press("1", "1", "1")  # Men Tirta, 1 bunch of mustard greens
    assert "Keranjang: 1 barang, Rp4.000" in cart


def test_removing_a_line_from_the_basket(client):
    ussd = UssdSession(client)
    ussd.press("1", "1", "1", "4", "2", "1", "1", "1", "1")  # + kangkung
    remove = ussd.press("2")
    assert remove == (
        "CON Pilih barang yang dihapus:\n1. Tomat 2 kg\n2. Kangkung 1 ikat\n0. Kembali"
    )
    cart = ussd.press("1")
    assert "Tomat dihapus.\nKeranjang: 1 barang, Rp3.000" in cart


def test_a_basket_over_the_cap_is_refused_with_a_pointer_to_the_call_center(client, db):
    ussd = UssdSession(client)
    ussd.press("1", "1", "4", "1")  # Pak Ketut: pork Rp110.000/kg
    refused = ussd.press("3")
    assert "Belanja Rp330.000 lewat batas Rp300.000" in refused
    assert "telepon call center" in refused
    assert "Berapa kg?" in refused  # still on the quantity screen
    assert "Keranjang: 1 barang, Rp220.000" in ussd.press("2")
    assert db.scalar(select(func.count()).select_from(Order)) == 0


def test_an_item_sold_out_before_confirming_is_named(client, db: Session):
    ussd = UssdSession(client)
    ussd.press("1", "1", "1", "4", "2", "1", "1", "1", "1")  # tomatoes and kangkung
    summary = ussd.press("3", "Ni Made Sari", ADDRESS)
    db.execute(Item.__table__.update().where(Item.name == "Tomat").values(available=False))
    db.commit()

    reply = ussd.press(option_key(summary, "Pesan sekarang"))

    assert reply.startswith(
        "CON Maaf, habis: Tomat.\n"
        "Total Rp13.000 (ongkir Rp10.000), bayar tunai:\n"
        "Kangkung 1 ikat Rp3.000\n"
    )
    assert db.scalar(select(func.count()).select_from(Order)) == 0
    assert db.scalar(select(func.count()).select_from(OutboundMessage)) == 0
    db.rollback()  # end the read, to see what the app writes next
    final = ussd.press("1")
    assert "Total Rp13.000" in final
    assert [line.item_name for line in db.scalars(select(Order)).one().lines] == ["Kangkung"]


def test_a_price_changed_after_the_summary_is_shown_before_it_is_charged(client, db: Session):
    ussd = UssdSession(client)
    summary = order_tomatoes_and_rice(ussd)
    assert summary.startswith("CON Total Rp86.000 (ongkir Rp10.000)")
    db.execute(Item.__table__.update().where(Item.name == "Tomat").values(price=15_000))
    db.commit()

    reply = ussd.press(option_key(summary, "Pesan sekarang"))

    assert reply.startswith(
        "CON Harga Tomat berubah.\n"
        "Total Rp88.000 (ongkir Rp10.000), bayar tunai:\n"
        "Tomat 2 kg Rp30.000\n"
    )
    assert db.scalar(select(func.count()).select_from(Order)) == 0
    db.rollback()  # end the read, to see what the app writes next
    assert "Total Rp88.000" in ussd.press(option_key(reply, "Pesan sekarang"))
    assert db.scalars(select(Order.total)).one() == 88_000


def test_a_new_delivery_fee_after_the_summary_is_shown_before_it_is_charged(client, db: Session):
    ussd = UssdSession(client)
    summary = order_tomatoes_and_rice(ussd)
    db.execute(Market.__table__.update().values(delivery_fee=12_000))
    db.commit()

    reply = ussd.press(option_key(summary, "Pesan sekarang"))

    assert reply.startswith("CON Ongkir berubah.\nTotal Rp88.000 (ongkir Rp12.000), bayar tunai:")
    assert db.scalar(select(func.count()).select_from(Order)) == 0


def test_the_language_choice_is_remembered(client, db: Session):
    UssdSession(client, session_id="a").press("2")  # Basa Bali
    customer = db.scalars(select(Customer)).one()
    assert customer.language == "ban"
    screen = UssdSession(client, session_id="b").dial()
    assert screen.startswith("CON Pilih peken:")


def test_english_screens(client):
    ussd = UssdSession(client)
    ussd.press("3", "1", "1", "4")  # English
    cart = ussd.press("2")
    assert "Tomatoes 2 kg added." in cart and "Basket: 1 item(s), Rp28.000" in cart


@pytest.mark.parametrize("token, status", [("", 403), ("wrong", 403), ("s3cret", 200)])
def test_the_token_is_required_when_set(settings, make_app, token, status):
    from dataclasses import replace

    app = make_app(replace(settings, at_webhook_token="s3cret"))
    response = app.test_client().post(
        f"/africastalking/ussd?token={token}",
        data={
            "sessionId": "x",
            "serviceCode": "*1#",
            "phoneNumber": "+6281234567890",
            "networkCode": "51010",
            "text": "",
        },
    )
    assert response.status_code == status


@pytest.mark.parametrize("number", ["not a number", "123", "anonymous"])
def test_a_number_that_is_no_phone_number_gets_a_clean_end(client, db: Session, number):
    response = client.post(
        "/africastalking/ussd", data={"sessionId": "ATUid_1", "phoneNumber": number, "text": ""}
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith("END Maaf, "), body
    assert db.scalar(select(func.count()).select_from(Conversation)) == 0


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"sessionId": "ATUid_1"},
        {"sessionId": "", "phoneNumber": "+6281234567890", "text": ""},
        {"sessionId": "s" * 500, "phoneNumber": "+6281234567890", "text": ""},
        {"sessionId": "ATUid 1; DROP", "phoneNumber": "+6281234567890", "text": ""},
        {"sessionId": "ATUid_1", "phoneNumber": "+6281234567890", "text": "1*" * 5000},
        {"sessionId": "ATUid_1", "phoneNumber": "+62812\u00003456", "text": ""},
    ],
)
def test_a_request_africas_talking_would_never_send_is_refused_with_400(client, db: Session, form):
    response = client.post("/africastalking/ussd", data=form)
    assert response.status_code == 400
    assert db.scalar(select(func.count()).select_from(Conversation)) == 0


def test_phone_numbers_in_any_local_format_are_the_same_customer(client, db: Session):
    for session_id, phone in (
        ("a", "081234567890"),
        ("b", "6281234567890"),
        ("c", "+62 812-3456-7890"),
    ):
        UssdSession(client, session_id=session_id, phone=phone).press("1")
    assert db.scalars(select(Customer.phone)).all() == ["+6281234567890"]
