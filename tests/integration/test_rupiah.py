"""One reader of rupiah and one set of price limits, for SMS, the register's CSV and the console.

A trader's `HARGA`, a CSV import and the console's price field read the same text as the same
amount, or refuse it alike (Hypothesis), and `12.5` is no price anywhere (it was Rp125 by CSV).
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlalchemy import select

from domain.office.catalog_csv import ITEM_COLUMNS, read_items
from domain.orders.rules import MIN_ITEM_PRICE, OrderRules
from menus.keywords import parse
from storage.models import Item
from tests.integration.test_console import logged_in, token
from tests.integration.test_webhook_fuzz import FUZZ
from voice_prompts import format_rupiah, parse_rupiah

RULES = OrderRules()  # the demo's: goods cap Rp300.000


@pytest.mark.parametrize(
    "written, amount",
    [
        ("15000", 15_000),
        ("15.000", 15_000),
        ("Rp15.000", 15_000),
        ("rp 15.000", 15_000),
        ("Rp. 15.000", 15_000),
        ("15rb", 15_000),
        ("15 ribu", 15_000),
        ("15K", 15_000),
        ("Rp15.000,-", 15_000),
        ("1.250.000", 1_250_000),
    ],
)
def test_rupiah_as_people_write_them(written, amount):
    assert parse_rupiah(written) == amount


@pytest.mark.parametrize(
    "written", ["12.5", "15.000,50", "-15000", "Rp-15.000", "15000-", "1e5", "٣", "15.00", ""]
)
def test_what_is_no_amount(written):
    assert parse_rupiah(written) is None


@given(st.integers(min_value=0, max_value=999_999_999))
def test_every_amount_reads_back_as_written(amount):
    assert parse_rupiah(format_rupiah(amount)) == amount
    assert parse_rupiah(str(amount)) == amount


def test_one_set_of_price_limits():
    assert not RULES.price_ok(MIN_ITEM_PRICE - 1)
    assert RULES.price_ok(MIN_ITEM_PRICE) and RULES.price_ok(RULES.goods_cap)
    assert not RULES.price_ok(RULES.goods_cap + 1)


PRICES = st.one_of(
    st.integers(min_value=0, max_value=2_000_000)
    .map(lambda n: st.sampled_from([str(n), format_rupiah(n), f"Rp {n}", f"{n // 1000}rb"]))
    .flatmap(lambda choice: choice),
    st.text(alphabet="0123456789.,-RrPpbBkKiu ", max_size=14),
    st.sampled_from(["12.5", "Rp15.000,-", "15.000,50", "-15000", "99999999999"]),
)


def by_sms(text: str) -> int | None:
    parsed = parse(f"HARGA B04 {text}")
    if parsed.amount is None or not RULES.price_ok(parsed.amount):
        return None
    return parsed.amount


def by_csv(session, text: str) -> int | None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ITEM_COLUMNS)
    writer.writerow(["B04", "AB1", "Tomat", "Tomatoes", "kg", text, "ya"])
    checked = read_items(session, out.getvalue(), rules=RULES)
    [row] = checked.rows
    price_errors = [error for error in row.errors if error.key == "price"]
    return None if price_errors else int(row.values["price"])


@pytest.mark.sqlite_only
def test_sms_csv_and_the_console_read_a_price_alike(app, db):
    admin = logged_in(app, "kadek", "admin")
    csrf = token(admin, "/console/register")
    tomatoes = db.scalars(select(Item).where(Item.code == "B04")).one()

    def by_console(text: str) -> int | None:
        db.execute(Item.__table__.update().where(Item.id == tomatoes.id).values(price=1))
        db.commit()
        admin.post(
            f"/console/register/items/{tomatoes.id}",
            data={"price": text, "available": "ya", "csrf_token": csrf},
        )
        db.rollback()
        price = db.scalars(select(Item.price).where(Item.id == tomatoes.id)).one()
        return None if price == 1 else price

    @FUZZ
    @given(text=PRICES)
    def check(text):
        # An SMS takes a separator before the price as one ("HARGA, B04, 15000").
        assume(not text.strip().startswith(tuple("#,:;")))
        expected = parse_rupiah(text)
        expected = expected if expected is not None and RULES.price_ok(expected) else None
        assert by_sms(text) == expected, text
        assert by_csv(db, text) == expected, text
        assert by_console(text) == expected, text

    check()
