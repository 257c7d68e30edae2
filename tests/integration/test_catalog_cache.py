"""The catalog the menus read is kept in each process and read again only when it changed.

A change to a market, trader or item, however it is made (the ORM, SQL by hand, another
process), bumps the catalog version in the same transaction (database triggers), so the
next hop sees it; a hop otherwise costs the same few queries whatever the catalog's size.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.orm import Session

from conversations.catalog_loader import load_catalog
from domain.orders import queries as order_queries
from storage.models import Item, Market, Vendor
from tests.conftest import MARKET_OPEN
from tests.statements import statements_sent
from tests.ussd import UssdSession


def test_every_kind_of_change_to_the_catalog_bumps_its_version(db: Session):
    tomatoes = db.scalars(select(Item).where(Item.code == "B04")).one()
    changes = [
        update(Item).where(Item.id == tomatoes.id).values(price=15_000),
        update(Vendor).where(Vendor.id == tomatoes.vendor_id).values(name="Bu Komang Sari"),
        update(Market).values(delivery_fee=12_000),
        insert(Item).values(
            vendor_id=tomatoes.vendor_id,
            code="B99",
            name="Cabai",
            name_en="Chilli",
            unit="ons",
            price=5_000,
        ),
        delete(Item).where(Item.code == "B99"),
    ]
    seen = [order_queries.catalog_version(db)]
    for change in changes:
        db.execute(change)
        db.commit()
        seen.append(order_queries.catalog_version(db))
    assert seen == sorted(set(seen)), seen  # each change: a new, higher version


def test_a_rolled_back_change_leaves_the_version_as_it_was(db: Session):
    before = order_queries.catalog_version(db)
    db.execute(update(Item).values(price=1_000))
    db.rollback()
    assert order_queries.catalog_version(db) == before


def test_the_next_load_sees_a_change_made_elsewhere_and_only_then_reads_again(app, db: Session):
    database = app.extensions["telepasar_db"]
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute", _record(statements))
    with database.readers() as session:
        load_catalog(session, MARKET_OPEN)  # may read (another test's version was cached)
        statements.clear()
        first = load_catalog(session, MARKET_OPEN)
    assert len(statements) == 1 and "catalog_version" in statements[0]

    db.execute(update(Item).where(Item.code == "B04").values(price=15_000))
    db.commit()
    with database.readers() as session:
        again = load_catalog(session, MARKET_OPEN)

    tomatoes = next(i for i in first.item_list if i.code == "B04")
    assert (tomatoes.price, again.item(tomatoes.id).price) == (14_000, 15_000)


@pytest.mark.sqlite_only
def test_a_hop_costs_the_same_queries_with_a_catalog_forty_times_larger(app, client, db):
    """The statements of one mid-order USSD hop, with the demo catalog (79 items) and after
    3,200 more items: the same number, and none reads traders or items (held in memory)."""
    database = app.extensions["telepasar_db"]

    def one_hop(session_id: str) -> list[str]:
        ussd = UssdSession(client, session_id=session_id)
        ussd.press("1", "1")  # a language, a market: the traders
        with statements_sent(database.engine, database.relaxed_engine) as statements:
            ussd.press("1")  # a trader: their items
        return statements

    demo = one_hop("ATUid_demo")
    vendor_id = db.scalars(select(Vendor.id).order_by(Vendor.id)).first()
    db.execute(
        insert(Item),
        [
            dict(
                vendor_id=vendor_id,
                code=f"G{n:04d}",
                name=f"Barang {n}",
                name_en=f"Goods {n}",
                unit="buah",
                price=1_000,
                position=100 + n,
            )
            for n in range(3_200)
        ],
    )
    db.commit()
    one_hop("ATUid_warm")  # the first hop after the change reads the catalog again
    large = one_hop("ATUid_large")

    assert len(large) == len(demo), (demo, large)
    assert demo and not [s for s in large if "FROM items" in s or "FROM vendors" in s]


def _record(statements: list[str]):
    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    return before_cursor_execute


def test_a_hop_through_the_menus_reads_no_customer_and_no_order(app, client, db):
    """The caller is read once a session (and where the order on its way is asked about),
    then kept in the conversation: a returning caller's hops through the menus read neither
    the customer nor their orders."""
    database = app.extensions["telepasar_db"]
    first = UssdSession(client, session_id="ATUid_first")
    first.press("1")  # a language: the customer is saved
    ussd = UssdSession(client, session_id="ATUid_again")
    home = ussd.dial()  # read once: the main menu, with the last order if there is one
    with statements_sent(database.engine, database.relaxed_engine) as statements:
        market = ussd.press("1")  # a market
        ussd.press("1")  # a trader
        ussd.press("0")  # back
    assert "Pilih pasar" in home and "pilih pedagang" in market
    assert statements  # the conversation is read and written each hop
    read = [s for s in statements if "FROM customers" in s or "FROM orders" in s]
    assert read == []


def test_menus_still_answer_when_the_catalog_version_row_is_gone(app, client, db):
    """Someone deleted the one row by hand: the catalog reads as version 0 (read again when
    it changes), and a session goes on as before."""
    from storage.models import CatalogVersion

    db.execute(delete(CatalogVersion))
    db.commit()
    ussd = UssdSession(client, session_id="ATUid_norow")
    assert "Pilih bahasa" in ussd.dial()
    assert "Pilih pasar" in ussd.press("1")
    assert "pilih pedagang" in ussd.press("1")
