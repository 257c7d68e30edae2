"""`place_order` against the demo database: prices, number, SMS, and nothing written on refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.office.register import register_courier
from domain.orders import (
    EmptyOrder,
    ItemUnavailable,
    MixedMarkets,
    OrderLineRequest,
    OrderRules,
    OrderTooLarge,
    PriceChanged,
    cancel_order,
    place_order,
    quote,
)
from storage.models import Customer, Item, Market, Order, OutboundMessage
from tests.conftest import MARKET_CLOSED, MARKET_OPEN

PHONE = "+6281234567890"


@pytest.fixture(autouse=True)
def a_courier(db: Session) -> None:
    """One courier ready, so that orders stay open (offered) instead of going unassigned."""
    courier = register_courier(
        db, phone="+6281311110001", name="Pak Made", market="AB", now=MARKET_OPEN
    )
    courier.available = True
    db.commit()


def item(db: Session, code: str) -> Item:
    return db.scalars(select(Item).where(Item.code == code)).one()


def order(db: Session, *lines: tuple[str, int], now=MARKET_OPEN, cap=300_000, **kwargs):
    defaults = dict(phone=PHONE, name="Ni Made Sari", address="Banjar Kauh", channel="ussd")
    defaults.update(kwargs)
    return place_order(
        db,
        lines=[OrderLineRequest(item(db, code).id, quantity) for code, quantity in lines],
        rules=OrderRules(goods_cap=cap),
        now=now,
        **defaults,
    )


def count(db: Session, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_an_order_is_priced_numbered_and_confirmed_by_sms(db: Session):
    placed = order(db, ("B04", 2), ("B06", 3), ("B04", 1))  # tomatoes twice: merged
    db.commit()

    saved = db.get(Order, placed.order_id)
    assert [
        (line.item_code, line.quantity, line.unit_price, line.line_total) for line in saved.lines
    ] == [
        ("B04", 3, 14_000, 42_000),
        ("B06", 3, 16_000, 48_000),
    ]
    assert (saved.goods_total, saved.delivery_fee, saved.total) == (90_000, 10_000, 100_000)
    assert saved.market.name == "Pasar Amlapura Barat"
    assert 4 <= len(placed.number) <= 6 and placed.number.isdigit()
    sms = db.scalars(select(OutboundMessage).where(OutboundMessage.to == PHONE)).one()
    assert sms.body == (
        f"Telepasar: Pesanan {placed.number} diterima. Barang Rp90.000 + ongkir Rp10.000 = "
        "Rp100.000, bayar tunai ke kurir. Kurir sedang dicari dan akan menelepon Anda."
    )
    assert (sms.to, sms.kind, sms.segments, sms.encoding) == (PHONE, "order_update", 1, "GSM-7")


def test_the_confirmation_is_in_the_customers_language_and_one_sms_when_closed(db: Session):
    for lang, phone in (
        ("id", "+6281200000001"),
        ("en", "+6281200000002"),
        ("ban", "+6281200000003"),
    ):
        order(
            db,
            ("B18", 2),
            ("B17", 2),
            now=MARKET_CLOSED,
            phone=phone,
            language=lang,
            name="Ni Luh Putu Ayu Kusumawati",
        )
    bodies = db.scalars(select(OutboundMessage.body).order_by(OutboundMessage.id)).all()
    assert bodies[0].endswith(
        "bayar tunai ke kurir. Pasar tutup: kurir dicari saat buka Selasa 06.00."
    )
    assert bodies[1].endswith(
        "pay the courier in cash. Market closed: couriers are asked Tuesday 06:00."
    )
    assert bodies[2].endswith("mayah tunai ring kurir. Peken tutup: kurir karereh Selasa 06.00.")
    assert db.scalars(select(OutboundMessage.segments)).all() == [1, 1, 1]


def test_order_numbers_are_unique_among_open_orders(db: Session):
    numbers = {order(db, ("B01", 1), phone=f"+62812000{n:05d}").number for n in range(200)}
    assert len(numbers) == 200


def test_a_new_customer_is_saved_and_a_known_one_keeps_their_details(db: Session):
    order(db, ("B01", 1), name="Ni Made Sari", address="Banjar Kauh", language="ban")
    order(db, ("B01", 1), name="Someone Else", address="Elsewhere", language="en")
    customer = db.scalars(select(Customer)).one()
    assert (customer.name, customer.address, customer.language) == (
        "Ni Made Sari",
        "Banjar Kauh",
        "ban",
    )
    assert count(db, Order) == 2


def test_an_unavailable_item_is_named_and_nothing_is_written(db: Session):
    item(db, "B04").available = False
    db.flush()
    with pytest.raises(ItemUnavailable) as raised:
        order(db, ("B01", 1), ("B04", 2))
    assert raised.value.names == ("Tomat",)
    assert (count(db, Order), count(db, OutboundMessage), count(db, Customer)) == (0, 0, 0)


def test_a_goods_total_over_the_cap_is_refused(db: Session):
    with pytest.raises(OrderTooLarge) as raised:
        order(db, ("B14", 3))  # pork, Rp110.000/kg
    assert (raised.value.goods_total, raised.value.cap) == (330_000, 300_000)
    assert count(db, Order) == 0
    assert order(db, ("B14", 3), cap=400_000).total == 340_000


def test_lines_from_two_markets_are_refused(db: Session):
    with pytest.raises(MixedMarkets):
        order(db, ("B01", 1), ("T01", 1))


@pytest.mark.parametrize(
    "lines, extra",
    [
        ((), {}),
        ((("B01", 0),), {}),
        ((("B01", 1),), {"name": "  "}),
        ((("B01", 1),), {"address": ""}),
    ],
)
def test_an_empty_order_is_refused(db: Session, lines, extra):
    with pytest.raises(EmptyOrder):
        order(db, *lines, **extra)
    assert count(db, Order) == 0


def test_an_order_outside_hours_is_for_the_next_opening(db: Session):
    placed = order(db, ("B01", 1), now=MARKET_CLOSED)
    assert placed.deliver_after == dt.datetime(
        2026, 12, 1, 6, 0, tzinfo=placed.deliver_after.tzinfo
    )
    assert placed.deliver_after.utcoffset() == dt.timedelta(hours=8)


def test_a_number_taken_meanwhile_by_another_process_is_drawn_again(db: Session, monkeypatch):
    draws = iter([4821, 4821, 1234])
    monkeypatch.setattr("domain.orders.service.secrets.randbelow", lambda n: next(draws) - 1000)
    first = order(db, ("B01", 1), phone="+6281200000001")
    # Another web process took 4821 between our check and our insert: the partial unique
    # index refuses it, the savepoint rolls back, and a new number is drawn.
    monkeypatch.setattr("domain.orders.service.queries.open_order_numbers", lambda session: set())
    second = order(db, ("B01", 2), phone="+6281200000002")
    db.commit()
    assert (first.number, second.number) == ("4821", "1234")
    assert [o.total for o in db.scalars(select(Order).order_by(Order.id))] == [13_000, 16_000]
    confirmations = select(OutboundMessage).where(OutboundMessage.kind == "order_update")
    assert len(db.scalars(confirmations).all()) == 2


def test_a_finished_order_frees_its_number(db: Session, monkeypatch):
    monkeypatch.setattr("domain.orders.service.secrets.randbelow", lambda n: 4821 - 1000)
    first = order(db, ("B01", 1))
    db.get(Order, first.order_id).state = "delivered"
    assert order(db, ("B01", 1)).number == "4821"


def test_an_order_is_cancelled_only_until_a_courier_has_it(db: Session):
    waiting = db.get(Order, order(db, ("B01", 1)).order_id)
    taken = db.get(Order, order(db, ("B02", 1), phone="+6281311112222").order_id)
    taken.state = "assigned"
    db.flush()

    assert cancel_order(db, waiting, now=MARKET_OPEN) is True
    assert cancel_order(db, taken, now=MARKET_OPEN) is False
    assert (waiting.state, taken.state) == ("cancelled", "assigned")
    assert cancel_order(db, waiting, now=MARKET_OPEN) is False  # once is enough


def test_a_quote_prices_a_basket_under_the_same_rules_and_writes_nothing(db: Session):
    basket = [OrderLineRequest(item(db, "B04").id, 2), OrderLineRequest(item(db, "B04").id, 1)]
    priced = quote(db, basket, rules=OrderRules(), now=MARKET_CLOSED)

    assert [(line.code, line.quantity, line.unit_price) for line in priced.lines] == [
        ("B04", 3, 14_000)
    ]
    assert (priced.goods_total, priced.delivery_fee, priced.total) == (42_000, 10_000, 52_000)
    assert priced.deliver_after is not None  # closed: for the next opening
    assert count(db, Order) == 0 and count(db, OutboundMessage) == 0
    with pytest.raises(OrderTooLarge):
        quote(db, basket, rules=OrderRules(goods_cap=40_000), now=MARKET_OPEN)


def test_the_order_is_charged_what_the_customer_agreed_to_or_not_placed(db: Session):
    tomatoes = item(db, "B04")
    basket = [OrderLineRequest(tomatoes.id, 2)]
    agreed = quote(db, basket, rules=OrderRules(), now=MARKET_OPEN).agreed()
    tomatoes.price = 16_000  # the trader's HARGA between the quote and the yes

    with pytest.raises(PriceChanged) as new_price:
        order(db, ("B04", 2), agreed=agreed)
    market = db.get(Market, tomatoes.vendor.market_id)
    tomatoes.price, market.delivery_fee = 14_000, 12_000
    with pytest.raises(PriceChanged) as new_fee:
        order(db, ("B04", 2), agreed=agreed)

    assert (new_price.value.item_ids, new_price.value.delivery_fee) == ((tomatoes.id,), None)
    assert (new_fee.value.item_ids, new_fee.value.delivery_fee) == ((), 12_000)
    assert count(db, Order) == count(db, Customer) == count(db, OutboundMessage) == 0
    again = quote(db, basket, rules=OrderRules(), now=MARKET_OPEN).agreed()
    assert order(db, ("B04", 2), agreed=again).total == 2 * 14_000 + 12_000
