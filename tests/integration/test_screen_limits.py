"""Every USSD screen reachable in the demo catalog, in every language, fits 160 characters.

The walk follows every option of every screen (and the navigation keys, and valid, extreme
and invalid typed input) from each kind of first screen, for a new and a returning caller,
with the markets open and closed. It stops only where a screen was already seen, with one
bound on baskets: every item is put in the basket on its own (at 1 and at 50), and a second
line is added only after each market's longest-named item, the widest first line there is.
Beyond two lines a basket's screens only change their numbers; the long-summary test below
covers many lines.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import replace

import pytest
from sqlalchemy.orm import Session

from menus import engine
from menus.catalog import Caller, LastOrder
from menus.engine import Context, PlaceOrder, Rules
from menus.screen import USSD
from menus.state import CartLine, MenuState
from orders.catalog import load_catalog
from tests.conftest import MARKET_CLOSED, MARKET_OPEN
from voice_prompts import LANGUAGES

USSD_SCREEN_LIMIT = 160
TYPED = {
    "number": ("1", "50", "x"),
    "text": ("Ni Luh Putu Ayu Kusumawati Dewi", "Banjar Dinas Kauh, Desa Bugbug, Karangasem", "x"),
}
LONGEST_ORDER_NUMBER = "999999"


def successors(ctx: Context, state: MenuState, widest: set[int]):
    """Every state one input away, the outcomes of a placed order included."""
    screen = engine.screen(ctx, state)
    if screen.end:
        return
    inputs = [option.key for option in screen.options] + ["00", "7x"]
    typed = TYPED.get(screen.expects, ())
    if state.step == "quantity" and _basket_is_bounded(state, widest):
        typed = ("x",)
    inputs += typed
    for value in inputs:
        turn = engine.handle(ctx, state, value)
        if any(isinstance(effect, PlaceOrder) for effect in turn.effects):
            total = engine.cart_total(ctx, turn.state.cart) + 10_000
            market = ctx.catalog.market(turn.state.market_id)
            yield engine.order_placed(
                turn.state, number=LONGEST_ORDER_NUMBER, total=total, reopens_at=market.reopens_at
            )
            yield engine.items_unavailable(ctx, turn.state, [turn.state.cart[0].item_id])
            yield engine.order_too_large(ctx, turn.state, 999_999)
        else:
            yield turn.state


def _basket_is_bounded(state: MenuState, widest: set[int]) -> bool:
    """True where the walk adds no more lines to the basket (see the module docstring)."""
    return len(state.cart) >= 2 or (len(state.cart) == 1 and state.cart[0].item_id not in widest)


def visit_key(ctx: Context, state: MenuState) -> tuple:
    """What makes a screen, and what its successors depend on; baskets count by size."""
    return (
        engine.render(ctx, state),
        state.step,
        state.market_id,
        min(len(state.cart), 2),
        state.name is not None,
        state.address is not None,
    )


def walk(ctx: Context, *firsts: MenuState) -> int:
    """Breadth-first over every state reachable from `firsts`; asserts each screen's length."""
    language = firsts[0].language
    widest = set()
    for market in ctx.catalog.markets():
        items = [i for i in ctx.catalog.item_list if i.market_id == market.id]
        widest.add(max(items, key=lambda item: len(item.label(language))).id)
    seen, queue, screens = {visit_key(ctx, first) for first in firsts}, deque(firsts), 0
    while queue:
        state = queue.popleft()
        rendered = engine.render(ctx, state)
        prefix = "END " if engine.screen(ctx, state).end else "CON "
        screens += 1
        assert len(prefix + rendered) <= USSD_SCREEN_LIMIT, (state.step, state.language, rendered)
        assert not rendered.endswith(".."), ("a demo screen was cut", rendered)
        for following in successors(ctx, state, widest):
            key = visit_key(ctx, following)
            if key not in seen:
                seen.add(key)
                queue.append(following)
    return screens


def callers(catalog) -> dict[str, Caller]:
    biggest = max(catalog.item_list, key=lambda item: item.price)
    longest = max(catalog.item_list, key=lambda item: len(item.name))
    last = LastOrder(
        market_id=longest.market_id, lines=((longest.id, 50), (biggest.id, 2)), total=299_999
    )
    return {
        "new": Caller("+6281234567890"),
        "returning": Caller(
            "+6281234567890",
            language="id",
            name="Ni Luh Putu Ayu Kusumawati Dewi Sekar Sari Wulandari Pratiwi",
            address="Banjar Kauh",
            last_order=last,
        ),
    }


@pytest.mark.parametrize("moment", [MARKET_OPEN, MARKET_CLOSED], ids=["open", "closed"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reachable_screen_fits_160_characters(db: Session, language: str, moment):
    catalog = load_catalog(db, moment)
    total = 0
    for caller in callers(catalog).values():
        caller = replace(caller, language=caller.language and language)
        ctx = Context(
            catalog=catalog, caller=caller, profile=USSD, rules=Rules(), default_language=language
        )
        # The first screen of a call, and a dropped basket offered back on the next dial.
        dropped = MenuState(
            step="cart",
            language=language,
            market_id=1,
            cart=(CartLine(catalog.item_list[0].id, 50),),
        )
        total += walk(ctx, engine.start(ctx), engine.start(ctx, dropped))
    assert total > 1000  # the walk really went through the catalog


def test_a_long_summary_is_paged_and_every_page_fits(db: Session):
    catalog = load_catalog(db, MARKET_CLOSED)
    market_items = [item for item in catalog.item_list if item.market_id == 1]
    cart = tuple(CartLine(item.id, 50) for item in market_items[:15])
    for language in LANGUAGES:
        ctx = Context(
            catalog=catalog, caller=Caller("+6281234567890", language=language), profile=USSD
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
