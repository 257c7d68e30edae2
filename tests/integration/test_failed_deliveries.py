"""A failed delivery (GAGAL) and the day's books (REKAP), as couriers, traders and customers
see them by SMS; and the edges of the WITA day.

Every message goes in through Africa's Talking's SMS webhook and every answer is read from
the outbox. Demo prices: B04 tomatoes Rp14.000/kg and B01 water spinach Rp3.000/ikat (Bu
Komang), B06 rice Rp16.000/kg (Pak Wayan); the fee is Rp10.000.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from domain.delivery import dispatch, ledger
from domain.delivery.policy import DispatchPolicy
from domain.hours import office_day
from domain.office import books
from domain.office.staff import add_staff
from domain.phones import friendly_phone
from storage.models import Courier, DeliveryFailure, Item, Movement, Order, Vendor
from tests.sms_phones import Phones

CUSTOMER, SECOND, THIRD = "+6281234567890", "+6281234567891", "+6281234567892"
MADE, KETUT = "+6281311110001", "+6281311110002"
BU_KOMANG, PAK_WAYAN = "+6285200000001", "+6285200000002"
CALL_CENTER = "+6236321234"
WITA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def app(settings, make_app):
    """The call center has a number; the office takes 10 % of each fee."""
    return make_app(
        replace(settings, call_center_number=CALL_CENTER, courier_commission_percent=10)
    )


@pytest.fixture
def phones(app) -> Phones:
    phones = Phones(app)
    phones.add_courier(MADE, "Pak Made")
    phones.add_courier(KETUT, "Bli Ketut")
    phones.add_trader_phone("AB1", BU_KOMANG)
    phones.add_trader_phone("AB2", PAK_WAYAN)
    return phones


def set_clock(app, local: dt.datetime) -> None:
    app.config["TELEPASAR_CLOCK"].now = local.astimezone(dt.UTC)


def order_row(db: Session, number: str) -> Order:
    db.rollback()
    return db.scalars(select(Order).where(Order.number == number)).one()


def courier_id(db: Session, phone: str) -> int:
    if db.in_transaction() and not db.dirty and not db.new:
        db.rollback()
    return db.scalars(select(Courier.id).where(Courier.phone == phone)).one()


def deliver(phones: Phones, courier: str, customer: str, lines: str) -> str:
    number = phones.order_by_sms(customer, lines)
    phones.send(courier, f"YA {number}")
    phones.send(courier, f"AMBIL {number}")
    phones.send(courier, f"SELESAI {number}")
    return number


def test_two_deliveries_one_failure_and_the_days_figures(phones: Phones, db: Session):
    deliver(phones, MADE, CUSTOMER, "B04 2, B06 1")  # 28.000 + 16.000, fee 10.000
    deliver(phones, MADE, SECOND, "B01 2")  # 6.000, fee 10.000
    number = phones.order_by_sms(THIRD, "B04 1")  # 14.000
    phones.send(MADE, f"YA {number}")
    phones.send(MADE, f"AMBIL {number}")

    reply = phones.send(MADE, f"GAGAL {number} tidak ada orang di rumah")

    assert reply == (
        f"Dicatat: pesanan {number} GAGAL diantar. Simpan barangnya (Rp14.000); call center "
        "akan memberi tahu: antar lagi, kembalikan, atau ditanggung kantor."
    )
    assert order_row(db, number).state == "failed"
    assert phones.inbox(THIRD)[-1] == (
        f"Telepasar: Pesanan {number} gagal diantar. Petugas kami akan menelepon Anda, "
        f"atau hubungi {friendly_phone(CALL_CENTER)}."
    )
    told = phones.inbox(CALL_CENTER)[-1]
    assert told.startswith(f"Telepasar: Pesanan {number} GAGAL diantar oleh Pak Made: ")
    assert "tidak ada orang di rumah" in told and friendly_phone(THIRD) in told

    assert phones.send(MADE, "REKAP") == (
        "REKAP 30/11 Pak Made: antar 2, gagal 1. Bayar pedagang Rp64.000. Terima Rp70.000. "
        "Ongkir Rp20.000, komisi Rp2.000. Barang dipegang 1 (Rp14.000). Setor ke kantor Rp2.000."
    )
    assert phones.send(BU_KOMANG, "rekap") == (
        "REKAP 30/11 Bu Komang: terjual 3 barang, diterima dari kurir Rp48.000. "
        "Retur 0 barang, dikembalikan Rp0."
    )
    assert phones.send(PAK_WAYAN, "REKAP").startswith(
        "REKAP 30/11 Pak Wayan: terjual 1 barang, diterima dari kurir Rp16.000."
    )
    assert phones.send(MADE, "REKAP KEMARIN") == (
        "REKAP 29/11 Pak Made: antar 0, gagal 0. Bayar pedagang Rp0. Terima Rp0. "
        "Ongkir Rp0, komisi Rp0. Barang dipegang 1 (Rp14.000). Lunas dengan kantor."
    )
    assert phones.send(CUSTOMER, "REKAP") == "REKAP hanya untuk kurir dan pedagang terdaftar."
    assert phones.send(MADE, "REKAP besok") == "Kirim REKAP untuk hari ini, atau REKAP KEMARIN."


def test_a_bare_gagal_fails_the_one_job_and_the_courier_is_free_again(phones: Phones, db: Session):
    number = phones.order_by_sms(CUSTOMER, "B04 1")
    phones.send(MADE, f"YA {number}")
    phones.send(MADE, f"AMBIL {number}")

    phones.send(MADE, "gagal alamat tidak ketemu")

    assert order_row(db, number).state == "failed"
    again = phones.order_by_sms(SECOND, "B01 1")
    assert phones.inbox(MADE)[-1].startswith(f"Telepasar: Antar pesanan {again} ")


def test_gagal_is_refused_like_selesai(phones: Phones, db: Session):
    number = phones.order_by_sms(CUSTOMER, "B04 1")
    assert phones.send(KETUT, "GAGAL") == (
        "Anda tidak punya tugas. Kirim STATUS untuk melihat tawaran."
    )
    phones.send(MADE, f"YA {number}")
    assert phones.send(MADE, f"GAGAL {number} hujan") == (
        f"Pesanan {number} belum dibelanjakan. Bila tidak bisa mengantar, kirim BATAL {number}."
    )
    phones.send(MADE, f"AMBIL {number}")
    assert phones.send(KETUT, f"GAGAL {number} iseng") == (
        f"Pesanan {number} bukan tugas Anda. Kirim STATUS untuk melihat tugas Anda."
    )
    assert phones.send(CUSTOMER, f"GAGAL {number}") == (
        "Perintah GAGAL hanya untuk kurir terdaftar. Hubungi call center untuk mendaftar."
    )
    assert order_row(db, number).state == "picked_up"


def test_a_failed_order_taken_over_by_another_courier_pays_the_first_back(
    app, phones: Phones, db: Session
):
    number = phones.order_by_sms(CUSTOMER, "B04 1")
    phones.send(MADE, f"YA {number}")
    phones.send(MADE, f"AMBIL {number}")
    phones.send(MADE, f"GAGAL {number} tidak ada orang")
    before_traders = len(phones.inbox(BU_KOMANG))
    with app.extensions["telepasar_db"].unit_of_work() as session:
        order = session.scalars(select(Order).where(Order.number == number)).one()
        assert dispatch.reoffer(session, order, now=app.config["TELEPASAR_CLOCK"]()) >= 1

    phones.send(KETUT, f"YA {number}")
    sheet = phones.inbox(KETUT)[-1]
    assert f"Ambil barangnya dari kurir Pak Made ({friendly_phone(MADE)})" in sheet
    assert "bayar dia Rp14.000" in sheet
    assert len(phones.inbox(BU_KOMANG)) == before_traders  # nothing new to prepare
    phones.send(KETUT, f"AMBIL {number}")
    phones.send(KETUT, f"SELESAI {number}")

    order = order_row(db, number)
    kinds = [(m.kind, m.payer, m.payee, m.amount) for m in ledger.order_movements(db, order.id)]
    made, ketut = ledger.courier(courier_id(db, MADE)), ledger.courier(courier_id(db, KETUT))
    assert ("goods_handed", ketut, made, 14_000) in kinds
    assert made not in ledger.positions(ledger.order_movements(db, order.id))  # square
    assert phones.send(MADE, "REKAP").startswith(
        "REKAP 30/11 Pak Made: antar 0, gagal 1. Bayar pedagang Rp14.000. "
        "Terima Rp0 + uang kembali Rp14.000."
    )
    assert "Barang dipegang 0 (Rp0)" in phones.send(MADE, "REKAP")
    assert phones.send(KETUT, "REKAP").startswith(
        "REKAP 30/11 Bli Ketut: antar 1, gagal 0. Bayar pedagang Rp0 + ke kurir lain Rp14.000. "
        "Terima Rp24.000."
    )


def test_a_delivery_just_after_midnight_counts_on_the_new_day(app, phones: Phones):
    set_clock(app, dt.datetime(2026, 11, 30, 13, 30, tzinfo=WITA))
    number = phones.order_by_sms(CUSTOMER, "B04 1")
    phones.send(MADE, f"YA {number}")
    phones.send(MADE, f"AMBIL {number}")
    set_clock(app, dt.datetime(2026, 12, 1, 0, 5, tzinfo=WITA))

    phones.send(MADE, f"SELESAI {number}")

    assert phones.send(MADE, "REKAP").startswith(
        "REKAP 01/12 Pak Made: antar 1, gagal 0. Bayar pedagang Rp0. Terima Rp24.000."
    )
    assert phones.send(MADE, "REKAP KEMARIN").startswith(
        "REKAP 30/11 Pak Made: antar 0, gagal 0. Bayar pedagang Rp14.000. Terima Rp0."
    )


def test_a_failed_order_delivered_the_next_day(app, phones: Phones, db: Session):
    number = phones.order_by_sms(CUSTOMER, "B04 1")
    phones.send(MADE, f"YA {number}")
    phones.send(MADE, f"AMBIL {number}")
    phones.send(MADE, f"GAGAL {number} tidak ada orang")
    set_clock(app, dt.datetime(2026, 12, 1, 9, 0, tzinfo=WITA))
    with app.extensions["telepasar_db"].unit_of_work() as session:
        order = session.scalars(select(Order).where(Order.number == number)).one()
        made = session.get(Courier, order.goods_with_id)
        now = app.config["TELEPASAR_CLOCK"]()
        assert dispatch.assign_by_hand(session, order, made, now=now) is None
        assert order.state == "picked_up"
    assert phones.inbox(MADE)[-1].startswith(f"Antar lagi pesanan {number}: Ni Made Sari ")
    assert phones.inbox(CUSTOMER)[-1] == (
        f"Telepasar: Pesanan {number} diantar lagi oleh Pak Made ({friendly_phone(MADE)}). "
        "Siapkan Rp24.000."
    )

    phones.send(MADE, f"SELESAI {number}")

    assert order_row(db, number).state == "delivered"
    assert phones.send(MADE, "REKAP").startswith(
        "REKAP 01/12 Pak Made: antar 1, gagal 0. Bayar pedagang Rp0. Terima Rp24.000."
    )
    assert phones.send(MADE, "REKAP KEMARIN").startswith(
        "REKAP 30/11 Pak Made: antar 0, gagal 1. Bayar pedagang Rp14.000. Terima Rp0."
    )


def test_a_handover_settles_several_days_at_once(app, phones: Phones, db: Session):
    days = [
        dt.datetime(2026, 11, 30, 10, 0, tzinfo=WITA),
        dt.datetime(2026, 12, 1, 10, 0, tzinfo=WITA),
        dt.datetime(2026, 12, 2, 10, 0, tzinfo=WITA),
    ]
    for moment, customer in zip(days, (CUSTOMER, SECOND, THIRD), strict=True):
        set_clock(app, moment)
        deliver(phones, MADE, customer, "B04 1")  # commission 10 % of 10.000 each day
    made = db.get(Courier, courier_id(db, MADE))
    balances = [books.courier_day(db, made, office_day(moment)).balance for moment in days]
    assert balances == [1_000, 2_000, 3_000]
    with app.extensions["telepasar_db"].unit_of_work() as session:
        now = app.config["TELEPASAR_CLOCK"]()
        admin = add_staff(session, username="wayan", password_hash="-", role="admin", now=now)
        books.record_handover(
            session,
            session.get(Courier, made.id),
            3_000,
            to_office=True,
            staff_id=admin.id,
            note="tiga hari",
            now=now,
        )
    db.rollback()
    assert books.courier_day(db, made, office_day(days[2])).balance == 0
    assert books.courier_day(db, made, office_day(days[1])).balance == 2_000  # as it was then
    assert phones.send(MADE, "REKAP").endswith("Lunas dengan kantor.")
    assert phones.send(MADE, "REKAP KEMARIN").endswith("Sisa setoran ke kantor hari itu Rp2.000.")


def test_a_movement_is_never_changed_or_removed(app, phones: Phones, db: Session):
    deliver(phones, MADE, CUSTOMER, "B04 1")
    database = app.extensions["telepasar_db"]
    for statement in (update(Movement).values(amount=1), text("DELETE FROM movements")):
        with pytest.raises(DBAPIError, match="never changed"):
            with database.unit_of_work() as session:
                session.execute(statement)
    db.rollback()
    assert sorted(m.amount for m in db.scalars(select(Movement))) == [1_000, 10_000, 14_000, 14_000]


def test_the_ledger_day_is_the_wita_day():
    late = dt.datetime(2026, 11, 30, 15, 59, tzinfo=dt.UTC)  # 23:59 WITA
    assert office_day(late) == dt.date(2026, 11, 30)
    assert office_day(late + dt.timedelta(minutes=1)) == dt.date(2026, 12, 1)


def test_returned_goods_are_paid_back_by_the_trader_who_was_paid(app, phones: Phones, db):
    number = phones.order_by_sms(CUSTOMER, "B04 2")  # Bu Komang's tomatoes
    phones.send(MADE, f"YA {number}")
    phones.send(MADE, f"AMBIL {number}")
    phones.send(MADE, f"GAGAL {number} tidak ada orang")
    database = app.extensions["telepasar_db"]
    with database.unit_of_work() as session:  # the register moves tomatoes to Pak Wayan
        session.execute(
            update(Item).where(Item.code == "B04").values(vendor_id=vendor_id(session, "AB2"))
        )
    with database.unit_of_work() as session:
        order = session.scalars(select(Order).where(Order.number == number)).one()
        now = app.config["TELEPASAR_CLOCK"]()
        assert dispatch.return_goods(session, order, now=now, staff_id=None)

    order = order_row(db, number)
    back = [(m.payer, m.amount) for m in ledger.order_movements(db, order.id)
            if m.kind == "goods_returned"]  # fmt: skip
    assert back == [(ledger.trader(vendor_id(db, "AB1")), 28_000)]
    assert phones.inbox(BU_KOMANG)[-1].endswith("Kembalikan Rp28.000 kepadanya.")
    assert phones.send(BU_KOMANG, "REKAP").endswith("dikembalikan Rp28.000.")


def vendor_id(session: Session, code: str) -> int:
    return session.scalars(select(Vendor.id).where(Vendor.code == code)).one()


def test_a_reason_may_begin_with_a_number(phones: Phones, db: Session):
    number = phones.order_by_sms(CUSTOMER, "B04 1")
    phones.send(MADE, f"YA {number}")
    phones.send(MADE, f"AMBIL {number}")

    phones.send(MADE, "GAGAL 5 kali ditelepon tidak diangkat")

    assert order_row(db, number).state == "failed"
    failure = db.scalars(select(DeliveryFailure)).one()
    assert failure.reason == "5 kali ditelepon tidak diangkat"


def test_a_movement_is_corrected_once_whatever_two_clicks_try(app, phones: Phones, db):
    database = app.extensions["telepasar_db"]
    now = app.config["TELEPASAR_CLOCK"]()
    with database.unit_of_work() as session:
        made = session.scalars(select(Courier).where(Courier.phone == MADE)).one()
        books.record_handover(session, made, 5_000, to_office=True, staff_id=None, note="",
                              now=now)  # fmt: skip
    with database.unit_of_work() as session:
        handover = session.scalars(select(Movement)).one()
        assert ledger.correct(session, handover, by=None, note="", now=now)
        assert not ledger.correct(session, handover, by=None, note="", now=now)
    entry = ledger.Entry("handover", "office", ledger.courier(made.id), 5_000, corrects=handover.id)
    with pytest.raises(IntegrityError):  # a second correction that raced past the check
        with database.unit_of_work() as session:
            ledger.record(session, [entry], now=now)
    db.rollback()
    assert len(db.scalars(select(Movement)).all()) == 2


def picked_up(phones: Phones, customer: str = CUSTOMER) -> str:
    number = phones.order_by_sms(customer, "B04 1")
    phones.send(MADE, f"YA {number}")
    phones.send(MADE, f"AMBIL {number}")
    return number


def on_order(app, number: str, work) -> object:
    with app.extensions["telepasar_db"].unit_of_work() as session:
        order = session.scalars(select(Order).where(Order.number == number)).one()
        return work(session, order, app.config["TELEPASAR_CLOCK"]())


def test_an_order_bought_without_a_holder_fails_to_the_courier_who_had_it(app, phones, db):
    """Picked up by the old code while an upgrade ran: no holder was written."""
    number = picked_up(phones)
    on_order(app, number, lambda s, o, now: s.execute(update(Order).values(goods_with_id=None)))

    phones.send(MADE, f"GAGAL {number} tidak ada orang")

    assert order_row(db, number).goods_with_id == courier_id(db, MADE)
    assert on_order(app, number, lambda s, o, now: dispatch.write_off(s, o, now=now, staff_id=None))
    assert order_row(db, number).state == "written_off"


def test_taking_back_an_order_tells_the_courier_who_had_it(app, phones, db):
    number = picked_up(phones)
    phones.send(MADE, f"GAGAL {number} tidak ada orang")
    ketut = courier_id(db, KETUT)
    on_order(
        app, number, lambda s, o, now: dispatch.assign_by_hand(s, o, s.get(Courier, ketut), now=now)
    )
    assert order_row(db, number).state == "assigned"

    assert on_order(app, number, lambda s, o, now: dispatch.back_to_failed(s, o, now=now))

    assert order_row(db, number).state == "failed"
    assert phones.inbox(KETUT)[-1].startswith(f"Pesanan {number} ditarik oleh call center.")


def test_offering_again_counts_only_the_couriers_really_asked(app, phones, db):
    number = picked_up(phones)
    phones.send(MADE, f"GAGAL {number} tidak ada orang")
    phones.send(KETUT, "ISTIRAHAT")  # Pak Made alone is free, and he took round 1 already

    offered = on_order(app, number, lambda s, o, now: dispatch.reoffer(s, o, now=now))

    assert offered == 0
    assert order_row(db, number).state == "failed"  # left as it was, for staff to decide


def test_nobody_taking_a_failed_order_over_tells_the_customer_nothing_new(app, phones, db):
    number = picked_up(phones)
    phones.send(MADE, f"GAGAL {number} tidak ada orang")
    on_order(app, number, lambda s, o, now: dispatch.reoffer(s, o, now=now))
    told = len(phones.inbox(CUSTOMER))

    gave_up = on_order(
        app, number, lambda s, o, now: dispatch.give_up(s, o, now=now, policy=DispatchPolicy())
    )

    assert gave_up and order_row(db, number).state == "failed"
    assert len(phones.inbox(CUSTOMER)) == told
