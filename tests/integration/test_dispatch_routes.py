"""A whole delivery over each SMS route: webhooks in, the real SDKs out to the fake provider.

A customer orders by keyword SMS, two couriers get the offer, one answers YA, the other is
told, the customer and the trader hear of the courier, then AMBIL and SELESAI. Everyone
texts through the same provider's webhook, and every SMS Telepasar sends reaches the fake
provider through that provider's SDK, sent by the outbox worker.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Order
from tests.fake_providers import FakeProviders
from tests.provider_sms import run_worker, sender
from tests.sms_phones import Phones

CUSTOMER = "+6281234567890"
MADE, KETUT = "+6281311110001", "+6281311110002"
BU_KOMANG = "+6285200000001"  # trader AB1: Tomat is B04


@pytest.mark.parametrize("provider", ["twilio", "africastalking", "android"])
def test_a_whole_delivery_over_one_route(provider, app_for, fake: FakeProviders, db: Session):
    app = app_for(provider)
    phones = Phones(app)
    phones.add_courier(MADE, "Pak Made")
    phones.add_courier(KETUT, "Bli Ketut")
    phones.add_trader_phone("AB1", BU_KOMANG)
    send = sender(provider, app.test_client())

    def received(phone: str) -> list[str]:
        run_worker(app)
        return [r.body for r in fake.received if r.to == phone]

    for text in ("NAMA Ni Made Sari", "ALAMAT Banjar Kauh, Desa Bugbug", "PESAN B04 2", "YA"):
        send(CUSTOMER, text)
    number = db.scalars(select(Order.number)).one()
    offer = (
        f"Telepasar: Antar pesanan {number} dari Pasar Amlapura Barat ke Banjar Kauh, "
        f"Desa Bugbug. 1 barang, talangan Rp28.000, ongkos Rp10.000. Balas YA {number}"
    )
    assert received(MADE) == received(KETUT) == [offer]
    assert {r.provider for r in fake.received} == {provider}

    # The job sheet is written with the assignment, so it comes through the outbox on every
    # route: Twilio answers a bare YES itself and would swallow a reply in the TwiML.
    assert send(KETUT, f"YA {number}") is None
    assert received(KETUT)[-1] == (
        f"Pesanan {number} untuk Anda. Ni Made Sari 0812-3456-7890, Banjar Kauh, Desa Bugbug. "
        "Bu Komang (los AB1): Tomat 2 kg = Rp28.000. Bayar pedagang Rp28.000, tagih "
        f"pelanggan Rp38.000. Kirim AMBIL {number} setelah belanja."
    )
    assert received(MADE)[-1] == f"Pesanan {number} sudah diambil kurir lain."
    assert received(CUSTOMER)[-1] == (
        f"Telepasar: Pesanan {number} diambil kurir Bli Ketut (0813-1111-0002). "
        "Kurir sedang berbelanja untuk Anda."
    )
    assert received(BU_KOMANG) == [
        f"Telepasar: Pesanan {number}, kurir Bli Ketut datang. Siapkan: Tomat 2 kg. "
        "Kurir bayar Rp28.000."
    ]

    send(KETUT, f"AMBIL {number}")
    assert received(CUSTOMER)[-1] == (
        f"Telepasar: Pesanan {number} sedang diantar Bli Ketut (0813-1111-0002). Siapkan Rp38.000."
    )
    send(KETUT, f"SELESAI {number}")
    assert received(CUSTOMER)[-1] == (
        f"Telepasar: Pesanan {number} sudah diantar. Terima kasih sudah berbelanja!"
    )
    db.rollback()
    order = db.scalars(select(Order)).one()
    assert (order.state, order.courier.name) == ("delivered", "Bli Ketut")
    assert order.placed_at <= order.assigned_at <= order.picked_up_at <= order.delivered_at


def test_a_bare_yes_over_twilio_still_brings_the_job_sheet(app_for, fake, db: Session):
    """Twilio answers a bare YES itself (its opt-in word) and our TwiML reply is left out:
    the job sheet must not depend on that reply."""
    app = app_for("twilio")
    phones = Phones(app)
    phones.add_courier(MADE, "Pak Made")
    send = sender("twilio", app.test_client())
    for text in ("NAMA Ni Made Sari", "ALAMAT Banjar Kauh, Desa Bugbug", "PESAN B04 2", "YA"):
        send(CUSTOMER, text)
    number = db.scalars(select(Order.number)).one()

    assert send(MADE, "YES") is None  # Twilio's own opt-in answer goes out instead
    run_worker(app)
    assert [r.body for r in fake.received if r.to == MADE][-1].startswith(
        f"Pesanan {number} untuk Anda."
    )
