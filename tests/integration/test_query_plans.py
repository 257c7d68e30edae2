"""No query grows with the order history: PostgreSQL's plans, on a database with a history.

On PostgreSQL only (TEST_DATABASE_URL, as CI sets it): 100,000 delivered orders, 50,000
customers and 1,000,000 sent SMS are generated in the test's own database, then the
statements of an SMS order and its offers, a courier's SIAP and YA, a worker pass, the
console's board and an SMS thread are captured as the app runs them, and PostgreSQL's plan
of each must read `orders`, `outbound_messages` and `customers` through an index, never by
a sequential scan.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import event, text

from gateway.worker import Worker
from providers.senders import LogSender
from tests.integration.test_console import logged_in
from tests.sms_phones import Phones

GROWING = {"orders", "outbound_messages", "customers"}
CUSTOMERS, ORDERS, MESSAGES = 50_000, 100_000, 1_000_000
HISTORY = f"""
INSERT INTO customers (phone, name, created_at)
SELECT '+62812' || lpad(g::text, 7, '0'), 'Pelanggan ' || g, TIMESTAMPTZ '2026-01-01 00:00+00'
FROM generate_series(1, {CUSTOMERS}) AS g;

INSERT INTO orders (number, customer_id, market_id, state, channel, delivery_name,
    delivery_address, goods_total, delivery_fee, total, placed_at, offer_round,
    delivered_at)
SELECT lpad((100000 + mod(g, 900000))::text, 6, '0'),
    (SELECT min(id) FROM customers) + mod(g, {CUSTOMERS}),
    (SELECT min(id) FROM markets), 'delivered', 'sms', 'Pelanggan', 'Banjar Kauh',
    20000, 10000, 30000,
    TIMESTAMPTZ '2026-01-01 00:00+00' + g * INTERVAL '2 minutes', 1,
    TIMESTAMPTZ '2026-01-01 01:00+00' + g * INTERVAL '2 minutes'
FROM generate_series(1, {ORDERS}) AS g;

INSERT INTO outbound_messages ("to", body, kind, segments, encoding, state, attempts,
    next_try_at, created_at, sent_at)
SELECT '+62812' || lpad((1 + mod(g, {CUSTOMERS}))::text, 7, '0'), 'Telepasar: pesanan diantar.',
    'order_update', 1, 'GSM-7', 'sent', 1, t, t, t
FROM generate_series(1, {MESSAGES}) AS g,
    LATERAL (SELECT TIMESTAMPTZ '2026-01-01 00:00+00' + g * INTERVAL '20 seconds' AS t) AS at;

ANALYZE customers;
ANALYZE orders;
ANALYZE outbound_messages;
"""


@pytest.fixture
def history(app, settings):
    """The app's PostgreSQL database with a year of history behind it."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("query plans are PostgreSQL's (run with TEST_DATABASE_URL)")
    engine = app.extensions["telepasar_db"].engine
    with engine.begin() as connection:
        for statement in HISTORY.split(";"):
            if statement.strip():
                connection.execute(text(statement))
    return engine


@pytest.fixture
def captured(history) -> Iterator[list[tuple[str, object]]]:
    """Every statement the app sends while the test runs, with its parameters."""
    statements: list[tuple[str, object]] = []

    def keep(connection, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH")):
            statements.append((statement, parameters[0] if executemany else parameters))

    event.listen(history, "before_cursor_execute", keep)
    yield statements
    event.remove(history, "before_cursor_execute", keep)


def scans(plan: dict) -> Iterator[str]:
    """The tables a plan reads by a sequential scan."""
    if plan.get("Node Type") == "Seq Scan":
        yield plan["Relation Name"]
    for child in plan.get("Plans", []):
        yield from scans(child)


def sequential_scans(engine, statements) -> list[tuple[str, str]]:
    found = []
    with engine.connect() as connection:
        for statement, parameters in statements:
            explained = connection.exec_driver_sql(
                "EXPLAIN (FORMAT JSON) " + statement, parameters
            ).scalar_one()
            plan = (explained if isinstance(explained, list) else json.loads(explained))[0]
            for table in set(scans(plan["Plan"])) & GROWING:
                shown = " ".join(statement.split())
                found.append((table, shown[shown.find(" FROM ") :][:300]))
        connection.rollback()
    return found


def test_no_query_of_a_worker_pass_the_board_or_a_thread_scans_the_history(
    app, history, captured, clock
):
    phones = Phones(app)
    phones.add_courier("+6281311110001", "Pak Made")
    phones.add_courier("+6281311110002", "Bli Ketut")
    captured.clear()
    number = phones.order_by_sms("+6281234567890", lines="B04 1")  # placed and offered
    phones.send("+6281311110002", "OFF")
    phones.send("+6281311110002", "SIAP")  # back at work: the open offers are sent again
    phones.send("+6281311110001", f"YA {number}")

    Worker(
        app.extensions["telepasar_db"],
        LogSender(echo=lambda line: None),
        app.config["TELEPASAR_SETTINGS"],
        clock,
    ).run_once()
    operator = logged_in(app, "wayan", "operator")
    assert operator.get("/console/board").status_code == 200
    thread = operator.get("/console/messages/thread?phone=081200012345")
    assert thread.status_code == 200
    assert len(captured) > 15

    assert sequential_scans(history, captured) == []
