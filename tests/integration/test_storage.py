"""Schema, migrations, the demo catalog and `seed-demo`."""

from __future__ import annotations

import logging
import re
from collections import Counter

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway import create_app
from settings import Settings
from storage.db import make_engine
from storage.demo_catalog import DEMO_MARKETS
from storage.models import Base, Customer, Item, Market, Vendor
from tests.conftest import MARKET_OPEN
from web.logs import FORMAT, RedactingFormatter

UNITS = {"kg", "ons", "ikat", "butir", "bungkus", "liter", "ekor", "buah", "sisir"}


def test_the_migrations_build_exactly_the_models_schema(app):
    engine = app.extensions["telepasar_db"].engine
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    with app.extensions["telepasar_db"].engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_seed_demo_on_a_fresh_database_then_again(tmp_path, clock):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/instance/fresh.sqlite3")
    app = create_app(settings, clock=clock)
    runner = app.test_cli_runner()

    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])

    assert first.exit_code == 0, first.output
    assert "Demo catalog loaded: 4 markets, 24 traders, 79 items." in first.output
    assert (
        "Catalog already present, left as it is: 4 markets, 24 traders, 79 items." in second.output
    )
    engine = make_engine(settings.database_url)
    assert "alembic_version" in inspect(engine).get_table_names()
    engine.dispose()
    app.extensions["telepasar_db"].dispose()


def test_migrate_brings_a_fresh_database_to_the_schema_and_writes_no_catalog(tmp_path, clock):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/prod.sqlite3")
    app = create_app(settings, clock=clock)

    result = app.test_cli_runner().invoke(args=["migrate"])

    assert result.exit_code == 0, result.output
    assert "The schema is up to date." in result.output
    with app.extensions["telepasar_db"].readers() as session:
        assert session.scalar(select(func.count()).select_from(Market)) == 0
    app.extensions["telepasar_db"].dispose()


def test_the_demo_catalog_is_the_markets_of_the_seed_story(db: Session):
    markets = db.scalars(select(Market).order_by(Market.position)).all()
    assert [m.name for m in markets] == [
        "Pasar Amlapura Barat",
        "Pasar Amlapura Timur",
        "Pasar Subagan",
        "Toko & Warung",
    ]
    for market in markets:
        assert len(market.vendors) >= 6, market.name
        assert market.delivery_fee == 10_000
    assert db.scalar(select(func.count()).select_from(Item)) >= 60


def test_item_codes_are_short_unique_and_typeable_in_an_sms(db: Session):
    codes = db.scalars(select(Item.code)).all()
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[BTSW]\d{2}", code) for code in codes), codes
    vendor_codes = db.scalars(select(Vendor.code)).all()
    assert len(vendor_codes) == len(set(vendor_codes))


def test_items_have_real_units_and_plausible_prices(db: Session):
    items = db.scalars(select(Item)).all()
    assert {item.unit for item in items} <= UNITS
    assert {"kg", "ons", "ikat", "butir", "bungkus", "liter", "ekor"} <= {i.unit for i in items}
    for item in items:
        assert 1_000 <= item.price <= 150_000, (item.name, item.price)
        assert item.price % 100 == 0
        assert item.name and item.name_en


def test_traders_are_named_as_people_in_karangasem_are():
    names = [vendor.name for market in DEMO_MARKETS for vendor in market.vendors]
    prefixes = Counter(name.split()[0] for name in names)
    assert {"Bu", "Pak", "Men", "Ni", "Dadong", "Pan"} <= set(prefixes)


def test_database_errors_do_not_carry_phone_numbers_into_logs(db: Session):
    db.add_all([Customer(phone="+6281234567890", created_at=MARKET_OPEN) for _ in range(2)])
    with pytest.raises(IntegrityError) as raised:
        db.flush()
    # SQLAlchemy hides the parameters; PostgreSQL's own detail still names the duplicate key,
    # so the log formatter masks every phone number, tracebacks included.
    record = logging.LogRecord(
        "gateway", logging.ERROR, __file__, 1, "failed", None,
        (IntegrityError, raised.value, raised.tb),
    )  # fmt: skip
    logged = RedactingFormatter(FORMAT).format(record)
    assert "IntegrityError" in logged
    assert "6281234567890" not in logged


def test_migration_0013_renumbers_an_unassigned_order_whose_number_was_reused(tmp_path):
    from alembic import command
    from sqlalchemy import text

    from storage.db import alembic_config, make_engine

    engine = make_engine(f"sqlite:///{tmp_path}/old.sqlite3")
    command.upgrade(alembic_config(engine), "0012")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO markets (id, code, name, position, opens_at, closes_at, timezone, "
                "delivery_fee) VALUES (1, 'AB', 'Pasar', 1, '06:00', '14:00', "
                "'Asia/Makassar', 10000)"
            )
        )
        connection.execute(
            text("INSERT INTO customers (id, phone, created_at) VALUES (1, '+62812', '2026-11-01')")
        )
        for order_id, state in ((1, "unassigned"), (2, "offered"), (3, "delivered")):
            connection.execute(
                text(
                    "INSERT INTO orders (id, number, customer_id, market_id, state, channel, "
                    "delivery_name, delivery_address, goods_total, delivery_fee, total, "
                    "placed_at, offer_round) VALUES (:id, '4821', 1, 1, :state, 'sms', 'N', "
                    "'A', 1, 1, 2, '2026-11-01', 1)"
                ),
                {"id": order_id, "state": state},
            )
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as connection:
        numbers = dict(connection.execute(text("SELECT id, number FROM orders")).all())
    engine.dispose()
    assert numbers[2] == numbers[3] == "4821"  # the open one keeps its number
    assert numbers[1] != "4821" and len(numbers[1]) == 6


def test_migration_0015_gives_an_order_on_its_way_its_holder_and_its_payments(tmp_path):
    """An order bought before the ledger existed balances like any other once delivered."""
    from alembic import command

    from storage.db import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path}/old.sqlite3")
    command.upgrade(alembic_config(engine), "0014")
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO markets (id, code, name, position, opens_at, closes_at, timezone, "
            "delivery_fee) VALUES (1, 'AB', 'Pasar', 1, '06:00', '14:00', 'Asia/Makassar', "
            "10000)",
            "INSERT INTO vendors (id, market_id, code, name, category, position) "
            "VALUES (7, 1, 'AB1', 'Bu Komang', 'sayur', 1), "
            "(8, 1, 'AB2', 'Pak Wayan', 'sembako', 2)",
            "INSERT INTO items (id, vendor_id, code, name, name_en, unit, price, available, "
            "position) VALUES (1, 7, 'B04', 'Tomat', 'Tomatoes', 'kg', 14000, 1, 1), "
            "(2, 8, 'B06', 'Beras', 'Rice', 'kg', 16000, 1, 1)",
            "INSERT INTO customers (id, phone, created_at) VALUES (1, '+62812', '2026-11-01')",
            "INSERT INTO couriers (id, phone, name, market_id, language, available, created_at, "
            "updated_at) VALUES (3, '+62813', 'Pak Made', 1, 'id', 1, '2026-11-01', '2026-11-01')",
            # Bought at 23:30 WITA on 30 November: its payments belong to that day.
            "INSERT INTO orders (id, number, customer_id, market_id, state, channel, "
            "delivery_name, delivery_address, goods_total, delivery_fee, total, placed_at, "
            "offer_round, courier_id, picked_up_at) "
            "VALUES (1, '4821', 1, 1, 'picked_up', 'sms', 'N', 'A', "
            "44000, 10000, 54000, '2026-11-30 10:00:00', 1, 3, '2026-11-30 15:30:00')",
            "INSERT INTO order_lines (order_id, item_id, item_code, item_name, unit, quantity, "
            "unit_price, line_total) VALUES (1, 1, 'B04', 'Tomat', 'kg', 2, 14000, 28000), "
            "(1, 2, 'B06', 'Beras', 'kg', 1, 16000, 16000)",
        ):
            connection.execute(text(statement))
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as connection:
        holder = connection.execute(text("SELECT goods_with_id FROM orders")).scalar()
        paid = connection.execute(
            text("SELECT kind, payer, payee, amount, day FROM movements ORDER BY payee")
        ).all()
    engine.dispose()
    assert holder == 3
    assert [tuple(row) for row in paid] == [
        ("goods_paid", "courier:3", "trader:7", 28000, "2026-11-30"),
        ("goods_paid", "courier:3", "trader:8", 16000, "2026-11-30"),
    ]


def test_a_row_edited_by_hand_to_point_nowhere_does_not_stop_an_upgrade(tmp_path):
    """Only what the migrations themselves leave dangling stops (and rolls back) one."""
    import sqlite3

    from alembic import command

    from storage.db import alembic_config, head_revision, schema_revision

    path = tmp_path / "old.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    command.upgrade(alembic_config(engine), "0014")
    engine.dispose()
    by_hand = sqlite3.connect(path)  # foreign keys are off in a plain sqlite3 session
    by_hand.execute(
        'INSERT INTO outbound_messages ("to", body, kind, segments, encoding, state, attempts, '
        "next_try_at, order_id, created_at) VALUES ('+62812', 'x', 'reply', 1, 'GSM-7', "
        "'sent', 1, '2026-11-01', 999, '2026-11-01')"
    )
    by_hand.commit()
    by_hand.close()
    engine = make_engine(f"sqlite:///{path}")

    command.upgrade(alembic_config(engine), "head")

    assert schema_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
