"""Every USSD screen reachable in the demo catalog, in every language, fits 160 characters.

The walk (tests/menu_walk.py) starts from each kind of first screen, for a new and a
returning caller, with the markets open and closed; the long-summary test below covers
baskets of many lines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy.orm import Session

from conversations.catalog_loader import load_catalog
from domain.orders.rules import OrderRules
from menus import engine
from menus.catalog import Caller
from menus.engine import Context
from menus.screen import USSD, Screen
from menus.state import CartLine, MenuState
from tests.conftest import MARKET_CLOSED, MARKET_OPEN
from tests.menu_walk import callers, walk
from voice_prompts import LANGUAGES

pytestmark = pytest.mark.sqlite_only

USSD_SCREEN_LIMIT = 160


def fits_ussd(ctx: Context, state: MenuState, screen: Screen) -> None:
    """The whole reply, `CON ` or `END ` included, is at most 160 characters, and uncut."""
    rendered = engine.render(ctx, state)
    prefix = "END " if screen.end else "CON "
    assert len(prefix + rendered) <= USSD_SCREEN_LIMIT, (state.step, state.language, rendered)
    assert not rendered.endswith(".."), ("a demo screen was cut", rendered)


@pytest.mark.parametrize("moment", [MARKET_OPEN, MARKET_CLOSED], ids=["open", "closed"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reachable_screen_fits_160_characters(db: Session, language: str, moment):
    catalog = load_catalog(db, moment)
    total = 0
    for caller in callers(catalog).values():
        caller = replace(caller, language=caller.language and language)
        ctx = Context(
            catalog=catalog,
            caller=caller,
            profile=USSD,
            rules=OrderRules(),
            default_language=language,
        )
        # The first screen of a call, and a dropped basket offered back on the next dial.
        dropped = MenuState(
            step="cart",
            language=language,
            market_id=1,
            cart=(CartLine(catalog.item_list[0].id, 50),),
        )
        total += walk(ctx, engine.start(ctx), engine.start(ctx, dropped), check=fits_ussd)
    assert total > 1000  # the walk really went through the catalog


def test_a_long_summary_is_paged_and_every_page_fits(db: Session):
    catalog = load_catalog(db, MARKET_CLOSED)
    market_items = [item for item in catalog.item_list if item.market_id == 1]
    cart = tuple(CartLine(item.id, 50) for item in market_items[:15])
    for language in LANGUAGES:
        ctx = Context(
            catalog=catalog,
            caller=Caller("+6281234567890", language=language),
            profile=USSD,
            rules=OrderRules(),
        )
        state = MenuState(step="summary", language=language, market_id=1, cart=cart)
        lines_seen = 0
        for _ in range(len(cart)):
            rendered = engine.render(ctx, state)
            assert len("CON " + rendered) <= USSD_SCREEN_LIMIT, rendered
            lines_seen += sum(" 50 " in line for line in rendered.splitlines())
            if "98. " not in rendered:
                break
            state = engine.handle(ctx, state, "98").state
        assert lines_seen == len(cart)
        assert "1. " in rendered  # the confirm option is on the last page too


def test_the_catalog_times_are_those_of_amlapura(db: Session):
    closed = load_catalog(db, MARKET_CLOSED)
    assert closed.market(1).reopens_at == dt.datetime(
        2026, 12, 1, 6, 0, tzinfo=closed.market(1).reopens_at.tzinfo
    )
    assert load_catalog(db, MARKET_OPEN).market(1).reopens_at is None
