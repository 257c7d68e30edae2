"""Two requests of one USSD session at the same moment (a provider retry racing the original)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from storage.models import Conversation, Order, OutboundMessage
from tests.ussd import UssdSession

# Orders here are offered to a courier, as in a market with couriers at work.
pytestmark = pytest.mark.usefixtures("courier_on_duty")


def test_a_confirm_sent_twice_at_once_makes_one_order(app, db: Session):
    ussd = UssdSession(app.test_client())
    ussd.press("1", "1", "1", "4", "2", "3", "Ni Made Sari", "Banjar Kauh, Amlapura")
    go = threading.Event()
    replies: list[str] = []

    def confirm() -> None:
        twin = UssdSession(app.test_client(), inputs=list(ussd.inputs))
        go.wait(timeout=10)
        replies.append(twin.press("1"))

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join(timeout=30)

    assert len(replies) == 2
    assert replies[0] == replies[1]
    assert replies[0].startswith("END Terima kasih! Pesanan ")
    assert db.scalar(select(func.count()).select_from(Order)) == 1
    assert db.scalars(select(OutboundMessage.kind)).all() == ["order_update", "offer"]


def test_a_stale_conversation_cannot_be_written(app):
    UssdSession(app.test_client()).press("1")
    database = app.extensions["telepasar_db"]
    with database.sessions() as first, database.sessions() as second:
        mine = first.scalars(select(Conversation)).one()
        first.commit()  # keeps `mine` as it was read
        theirs = second.scalars(select(Conversation)).one()
        theirs.last_input = "1*1"
        second.commit()
        mine.last_input = "1*2"
        with pytest.raises(StaleDataError):  # the update matched no row of our version
            first.commit()
