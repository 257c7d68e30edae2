"""Opting out and back in, honestly, on every SMS route.

Only the exact words opt out (`STOP`, `BERHENTI`) or back in (`START`, `MULAI`); on the
Twilio route also Twilio's own list, as Twilio itself applies it. A typo, a question about
stock, a `YA` confirming an order, a bare `CANCEL` on another provider change nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Customer
from tests.provider_sms import sender

CUSTOMER = "+6281234567890"


def opted_out(db: Session) -> bool:
    db.rollback()
    return (
        db.scalars(select(Customer.opted_out_at).where(Customer.phone == CUSTOMER)).one()
        is not None
    )


@pytest.mark.parametrize("provider", ["africastalking", "android"])
@pytest.mark.parametrize("message", ["STOK tomat", "SHOP", "YA", "OK", "CANCEL", "stpo"])
def test_nothing_but_the_exact_words_changes_an_opt_out(provider, message, app_for, db: Session):
    send = sender(provider, app_for(provider).test_client())
    send(CUSTOMER, "STOP")
    assert opted_out(db)
    send(CUSTOMER, message)
    assert opted_out(db), message
    send(CUSTOMER, "MULAI")
    send(CUSTOMER, message)
    assert not opted_out(db), message


@pytest.mark.parametrize("provider", ["twilio", "africastalking", "android"])
def test_stop_berhenti_start_mulai_work_on_every_route(provider, app_for, db: Session):
    send = sender(provider, app_for(provider).test_client())
    for message, out in [("STOP", True), ("START", False), ("berhenti", True), ("Mulai", False)]:
        send(CUSTOMER, message)
        assert opted_out(db) is out, message


@pytest.mark.parametrize(
    ("message", "out"),
    [("STOPALL", True), ("UNSTOP", False), ("QUIT", True), ("YES", False), ("CANCEL", True)],
)
def test_twilios_own_words_on_its_route(message, out, app_for, db: Session):
    send = sender("twilio", app_for("twilio").test_client())
    if not out:
        send(CUSTOMER, "STOP")
    send(CUSTOMER, message)
    assert opted_out(db) is out
