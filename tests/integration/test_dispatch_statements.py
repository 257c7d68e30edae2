"""Dispatch in a constant number of statements, whatever the number of couriers or offers.

The statements a verb sends to the database are counted as it runs (on SQLite and on
PostgreSQL): placing an order offered to 1 free courier or to 200, a courier's SIAP with 1
open offer or with 50, and a YA, each the same count whatever the numbers. On SQLite every
one of them holds the one write lock inside somebody's USSD hop or SMS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from domain.delivery import queries as delivery_queries
from domain.delivery.dispatch import accept, set_available
from domain.office.register import register_courier
from domain.orders import OrderLineRequest, OrderRules, place_order
from storage.models import Item, Offer, OutboundMessage

CUSTOMER = "+6281234567890"


@contextmanager
def counted(engine) -> Iterator[list[str]]:
    """Every statement sent to `engine` inside the block."""
    statements: list[str] = []

    def count(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def offers_to(app, phone: str) -> list[str]:
    """The offer SMS (and "taken" notices) the outbox holds for `phone`."""
    with app.extensions["telepasar_db"].readers() as session:
        return list(
            session.scalars(
                select(OutboundMessage.body).where(
                    OutboundMessage.to == phone, OutboundMessage.kind == "offer"
                )
            )
        )


def add_couriers(app, count: int, *, market: str = "AB", first: int = 0) -> None:
    now = app.config["TELEPASAR_CLOCK"]()
    with app.extensions["telepasar_db"].unit_of_work() as session:
        for n in range(first, first + count):
            courier = register_courier(
                session, phone=f"+628139{n:07d}", name=f"Kurir {n}", market=market, now=now
            )
            courier.available = True


def place(app, phone: str = CUSTOMER) -> str:
    database = app.extensions["telepasar_db"]
    with database.unit_of_work() as session:
        tomatoes = session.scalars(select(Item.id).where(Item.code == "B04")).one()
        placed = place_order(
            session,
            phone=phone,
            lines=[OrderLineRequest(tomatoes, 1)],
            name="Ni Made Sari",
            address="Banjar Kauh, Desa Bugbug",
            channel="sms",
            rules=OrderRules(),
            now=app.config["TELEPASAR_CLOCK"](),
        )
        return placed.number


def statements_of(app, work: Callable[[Session], object]) -> int:
    database = app.extensions["telepasar_db"]
    with counted(database.engine) as statements:
        with database.unit_of_work() as session:
            work(session)
    return len(statements)


def counted_placing(app, phone: str) -> int:
    with counted(app.extensions["telepasar_db"].engine) as statements:
        place(app, phone)
    return len(statements)


def test_placing_an_order_costs_the_same_for_1_or_200_free_couriers(app, db):
    add_couriers(app, 1)
    with_one = counted_placing(app, CUSTOMER)
    add_couriers(app, 199, first=1)
    with_many = counted_placing(app, "+6281234567891")
    assert with_one == with_many
    newest = db.scalars(select(Offer.order_id).order_by(Offer.id.desc())).first()
    assert len(db.scalars(select(Offer).where(Offer.order_id == newest)).all()) == 200


def test_siap_costs_the_same_with_1_or_50_open_offers(app):
    add_couriers(app, 1)  # takes no order: every order stays offered
    latecomer = "+6281390009000"
    add_couriers(app, 1, first=9000)
    now = app.config["TELEPASAR_CLOCK"]()

    def back_at_work(session: Session) -> int:
        return set_available(
            session, delivery_queries.courier_by_phone(session, latecomer), True, now=now
        )

    def resting(session: Session) -> int:
        return set_available(
            session, delivery_queries.courier_by_phone(session, latecomer), False, now=now
        )

    statements_of(app, resting)
    place(app, phone="+6281255500000")
    with_one = statements_of(app, back_at_work)
    statements_of(app, resting)
    for n in range(1, 50):
        place(app, phone=f"+62812555{n:05d}")
    with_fifty = statements_of(app, back_at_work)
    assert with_one == with_fifty
    assert len(offers_to(app, latecomer)) == 50  # the first, then the 49 it had not had


def test_ya_costs_the_same_however_many_others_had_the_offer(app):
    now = app.config["TELEPASAR_CLOCK"]()

    def ya(phone: str, number: str) -> int:
        def work(session: Session) -> object:
            return accept(
                session, delivery_queries.courier_by_phone(session, phone), number, now=now
            )

        return statements_of(app, work)

    add_couriers(app, 2)
    among_two = ya("+6281390000000", place(app))  # the other is told it is taken
    add_couriers(app, 30, first=2)
    second = place(app, phone="+6281234567891")
    among_thirty_one = ya("+6281390000001", second)
    assert among_two == among_thirty_one
    taken = [body for body in offers_to(app, "+6281390000031") if "sudah diambil" in body]
    assert taken == [f"Pesanan {second} sudah diambil kurir lain."]  # the others were told
