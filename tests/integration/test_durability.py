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
from tests.statements import statements_sent
from tests.ussd import UssdSession, option_key

pytestmark = pytest.mark.usefixtures("courier_on_duty")

DURABLE, RELAXED = "waits for the disk", "does not wait"


@pytest.fixture
def commits(app) -> list[str]:
    """How each commit of the app reaches the disk, in order, as the database says it: a
    unit of work's, read just before it commits; a hop's write (the relaxed engine's
    driver, `storage.driver`: one commit each time a connection is taken), read on it."""
    database = app.extensions["telepasar_db"]
    seen: list[str] = []

    def before_commit(connection) -> None:
        seen.append(_how(connection.connection.dbapi_connection, connection.dialect.name))

    def relaxed_write(dbapi_connection, record, proxy) -> None:
        seen.append(_how(dbapi_connection, database.relaxed_engine.dialect.name))

    event.listen(database.engine, "commit", before_commit)
    event.listen(database.relaxed_engine.pool, "checkout", relaxed_write)
    yield seen
    event.remove(database.engine, "commit", before_commit)
    event.remove(database.relaxed_engine.pool, "checkout", relaxed_write)


def _how(dbapi_connection, dialect: str) -> str:
    cursor = dbapi_connection.cursor()
    try:
        if dialect == "sqlite":  # 1 NORMAL, 2 FULL
            cursor.execute("PRAGMA synchronous")
            return DURABLE if cursor.fetchone()[0] >= 2 else RELAXED
        cursor.execute("SHOW synchronous_commit")
        return RELAXED if cursor.fetchone()[0] == "off" else DURABLE
    finally:
        cursor.close()


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
    the second's write touches no row, and Database.hop works it out again."""
    from conversations.menu_turns import UssdRequest, ussd_hop
    from domain.orders.rules import OrderRules
    from storage.database import HopReads

    database = app.extensions["telepasar_db"]
    ussd = UssdSession(client)
    ussd.press("1")  # a language
    now = app.config["TELEPASAR_CLOCK"]()

    def request(text: str) -> UssdRequest:
        return UssdRequest(ussd.session_id, ussd.phone, text, OrderRules(), "id", now)

    with HopReads(database) as reads:
        _, first = ussd_hop(reads, request("1*1"))  # a market
    with HopReads(database) as reads:
        _, second = ussd_hop(reads, request("1*2"))  # another, from the same read
    assert database.relaxed.write(first.statement, **first.values) == 1
    assert database.relaxed.write(second.statement, **second.values) == 0
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
    database = app.extensions["telepasar_db"]
    ussd = UssdSession(client)
    ussd.press("1", "1")  # a language (durable), a market
    with statements_sent(database.engine, database.relaxed_engine) as said:
        ussd.press("1")  # a trader: their items
    locked = said[said.index("BEGIN IMMEDIATE") :]
    assert [s.split(" ", 1)[0] for s in locked] == ["BEGIN", "UPDATE", "COMMIT"], said
    assert locked[1].startswith("UPDATE conversations SET")
    reads = said[: said.index("BEGIN IMMEDIATE")]
    assert reads and all(s.startswith("SELECT") for s in reads), said


def test_the_relaxed_engine_writes_nothing_but_conversations(app, client, db: Session):
    """Only a hop's one write of its conversation commits without waiting for the disk: over
    a whole order (a language saved, a basket, the order placed), everything the relaxed
    engine is sent is a conversation's INSERT or UPDATE (and SQLite's BEGIN and COMMIT)."""
    database = app.extensions["telepasar_db"]
    with statements_sent(database.relaxed_engine) as said:
        final = _a_whole_order(UssdSession(client))
    assert final.startswith("END Terima kasih!")
    writes = [s for s in said if s not in ("BEGIN IMMEDIATE", "COMMIT")]
    assert writes, said
    assert all(
        s.startswith(("UPDATE conversations SET", "INSERT INTO conversations")) for s in writes
    ), said
    assert db.scalar(select(func.count()).select_from(Order)) == 1


def _a_whole_order(ussd: UssdSession) -> str:
    screen = ussd.dial()
    for label in ("Bahasa Indonesia", "Pasar Amlapura Barat", "Bu Komang", "Tomat"):
        screen = ussd.press(option_key(screen, label))
    screen = ussd.press("2")
    screen = ussd.press(option_key(screen, "Selesai & pesan"))
    screen = ussd.press("Ni Made Sari")
    screen = ussd.press("Banjar Kauh, Desa Bugbug")
    return ussd.press(option_key(screen, "Pesan sekarang"))
