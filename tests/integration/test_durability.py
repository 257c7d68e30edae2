"""Which commits wait for the disk (docs/OPERATIONS.md, Durability).

A hop that only moves through the menus commits without waiting for the disk (SQLite:
`synchronous=NORMAL` in WAL; PostgreSQL: `synchronous_commit = off`): a power cut may lose
the last few, and the caller redials. A unit of work that places an order, changes or
creates a customer, or stores an inbound SMS or a delivery report waits for the disk as
before. Each commit's setting is read from the database itself, just before it commits.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from storage.models import Conversation, Customer, Order, OutboundMessage
from tests.sms_phones import Phones
from tests.ussd import UssdSession, option_key

pytestmark = pytest.mark.usefixtures("courier_on_duty")

DURABLE, RELAXED = "waits for the disk", "does not wait"


@pytest.fixture
def commits(app) -> list[str]:
    """How each commit of the app reaches the disk, in order, as the database says it."""
    engine = app.extensions["telepasar_db"].engine
    seen: list[str] = []

    def before_commit(connection) -> None:
        if connection.dialect.name == "sqlite":  # 1 NORMAL, 2 FULL
            level = connection.exec_driver_sql("PRAGMA synchronous").scalar()
            seen.append(DURABLE if level >= 2 else RELAXED)
        else:
            level = connection.exec_driver_sql("SHOW synchronous_commit").scalar()
            seen.append(RELAXED if level == "off" else DURABLE)

    event.listen(engine, "commit", before_commit)
    yield seen
    event.remove(engine, "commit", before_commit)


def hop(ussd: UssdSession, commits: list[str], *keys: str) -> tuple[str, str]:
    """Press `keys` (one request); the screen and how its unit of work was committed."""
    before = len(commits)
    screen = ussd.press(*keys) if keys else ussd.dial()
    assert len(commits) == before + 1, commits[before:]  # one commit a hop, whatever it did
    return screen, commits[-1]


def test_menu_hops_are_relaxed_and_what_must_survive_is_not(client, db: Session, commits):
    ussd = UssdSession(client)
    screen, first_dial = hop(ussd, commits)
    assert "Pilih bahasa" in screen and first_dial == RELAXED  # a conversation only
    screen, language = hop(ussd, commits, option_key(screen, "Bahasa Indonesia"))
    assert language == DURABLE  # the new customer and their language
    assert db.scalars(select(Customer.language)).one() == "id"
    moves = []
    for label in ("Pasar Amlapura Barat", "Bu Komang", "Tomat"):
        screen, how = hop(ussd, commits, option_key(screen, label))
        moves.append(how)
    screen, how = hop(ussd, commits, "2")
    moves.append(how)
    screen, how = hop(ussd, commits, option_key(screen, "Selesai & pesan"))
    moves.append(how)
    screen, how = hop(ussd, commits, "Ni Made Sari")
    moves.append(how)
    screen, how = hop(ussd, commits, "Banjar Kauh, Desa Bugbug")
    moves.append(how)
    assert moves == [RELAXED] * 7  # through the menus, the cart and the details typed
    final, placing = hop(ussd, commits, option_key(screen, "Pesan sekarang"))
    assert final.startswith("END Terima kasih!") and placing == DURABLE

    db.rollback()  # on SQLite the hop ran again, durably: still one order, one confirmation
    assert db.scalar(select(func.count()).select_from(Order)) == 1
    confirmations = select(func.count()).where(
        OutboundMessage.kind == "order_update", OutboundMessage.to == ussd.phone
    )
    assert db.scalar(confirmations) == 1
    assert ussd.repeat() == final  # a provider's retry: the same screen, nothing more


def test_a_returning_callers_first_dial_stays_relaxed(client, commits):
    ussd = UssdSession(client)
    screen, _ = hop(ussd, commits)
    hop(ussd, commits, option_key(screen, "Bahasa Indonesia"))
    again = UssdSession(client, session_id="ATUid_0002")
    screen, how = hop(again, commits)
    assert "Pilih pasar" in screen and how == RELAXED  # known: nothing of theirs changes


def test_a_hops_write_is_refused_when_another_request_of_its_session_wrote_first(app, client):
    """Two requests of one session worked out from the same read: the first to write wins;
    the second's write changes nothing and says so, and Database.hop works it out again."""
    from sqlalchemy.orm.exc import StaleDataError

    from conversations.menu_turns import UssdRequest, ussd_hop
    from domain.orders.rules import OrderRules

    database = app.extensions["telepasar_db"]
    ussd = UssdSession(client)
    ussd.press("1")  # a language
    now = app.config["TELEPASAR_CLOCK"]()

    def request(text: str) -> UssdRequest:
        return UssdRequest(ussd.session_id, ussd.phone, text, OrderRules(), "id", now)

    with database.readers() as reader:
        _, first = ussd_hop(reader, request("1*1"))  # a market
    with database.readers() as reader:
        _, second = ussd_hop(reader, request("1*2"))  # another, from the same read
    with database.hops() as session:
        first(session)
        session.commit()
    with database.hops() as session, pytest.raises(StaleDataError):
        second(session)
    with database.readers() as reader:
        convo = reader.execute(
            select(Conversation.last_input, Conversation.version).where(
                Conversation.session_key == ussd.session_id
            )
        ).one()
    assert tuple(convo) == ("1*1", 2)  # created with its language, then the first write alone


def test_an_inbound_sms_and_a_delivery_report_wait_for_the_disk(app, client, commits):
    Phones(app).send("+6281234567890", "BANTUAN")
    assert commits and set(commits) == {DURABLE}
    before = len(commits)
    report = client.post(
        "/africastalking/delivery",
        data={"id": "ATXid_unknown", "status": "Success", "phoneNumber": "+6281234567890"},
    )
    assert report.status_code == 200
    assert commits[before:] and set(commits[before:]) == {DURABLE}


@pytest.mark.sqlite_only
def test_a_hop_holds_the_write_lock_for_its_one_write_alone(app, client):
    """SQLite has one write lock for the whole database: a menu hop reads and works out its
    screen first, then takes the lock for one UPDATE of its conversation, and commits."""
    engine = app.extensions["telepasar_db"].engine
    ussd = UssdSession(client)
    ussd.press("1", "1")  # a language (durable), a market
    said: list[str] = []

    def statement(conn, cursor, sql, parameters, context, executemany) -> None:
        said.append(" ".join(sql.split())[:40])

    def commit(conn) -> None:
        said.append("COMMIT")

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        ussd.press("1")  # a trader: their items
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    locked = said[said.index("BEGIN IMMEDIATE") :]
    assert [s.split(" ", 1)[0] for s in locked] == ["BEGIN", "UPDATE", "COMMIT"], said
    assert locked[1].startswith("UPDATE conversations SET")
    assert said.index("BEGIN IMMEDIATE") > said.index("BEGIN DEFERRED")  # the reads came first


def test_an_order_or_a_customer_is_never_written_in_a_relaxed_unit_of_work(app, db: Session):
    """`storage.db.durable` guards what must survive: placing an order or saving a caller's
    language in a unit of work that does not wait for the disk is refused before anything
    is written."""
    from domain.orders.customers import remember_language
    from domain.orders.rules import OrderRules
    from domain.orders.service import OrderLineRequest, place_order
    from storage.db import MustBeDurable
    from storage.models import Item

    database = app.extensions["telepasar_db"]
    now = app.config["TELEPASAR_CLOCK"]()
    tomatoes = db.scalars(select(Item.id).where(Item.code == "B04")).one()
    with database.hops() as session, pytest.raises(MustBeDurable):
        remember_language(session, "+6281234567890", "id", now=now)
    with database.hops() as session, pytest.raises(MustBeDurable):
        place_order(
            session,
            phone="+6281234567890",
            lines=[OrderLineRequest(tomatoes, 1)],
            name="Ni Made Sari",
            address="Banjar Kauh",
            channel="ussd",
            rules=OrderRules(),
            now=now,
        )
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Customer)) == 0
    assert db.scalar(select(func.count()).select_from(Order)) == 0
