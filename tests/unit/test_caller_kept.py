"""The caller a session knows is kept in its conversation (JSON) and read back on each hop."""

from __future__ import annotations

import dataclasses
import json

from conversations.menu_turns import caller_dict, caller_from
from menus.catalog import Caller, LastOrder, OpenOrder


def test_every_detail_of_a_caller_survives_the_round_trip():
    """`caller_dict` is written by hand (it runs on every hop): a field it forgot fails here."""
    caller = Caller(
        phone="+6281234567890",
        language="ban",
        name="Ni Made Sari",
        address="Banjar Kauh, Desa Bugbug",
        address_recording_url="https://api.twilio.com/rec/RE1",
        last_order=LastOrder(market_id=1, lines=((3, 2), (5, 1)), total=38_000),
        open_order=OpenOrder("4440", "assigned", "Pak Made", 38_000),
    )
    data = caller_dict(caller)
    assert set(data) == {f.name for f in dataclasses.fields(Caller)}
    assert set(data["last_order"]) == {f.name for f in dataclasses.fields(LastOrder)}
    assert set(data["open_order"]) == {f.name for f in dataclasses.fields(OpenOrder)}
    assert caller_from(json.loads(json.dumps(data))) == caller


def test_a_new_caller_survives_it_too():
    caller = Caller(phone="+6281234567890")
    assert caller_from(json.loads(json.dumps(caller_dict(caller)))) == caller
