"""A walk over every menu screen reachable in a catalog, for tests that check each screen.

The walk follows every option of every screen (and the navigation keys, and valid, extreme
and invalid typed input). It stops only where a screen was already seen, with one bound on
baskets: every item is put in the basket on its own (at 1 and at 50), and a second line is
added only after each market's longest-named item, the widest first line there is. Beyond
two lines a basket's screens only change their numbers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from menus import engine
from menus.catalog import Caller, LastOrder
from menus.engine import Context, PlaceOrder
from menus.screen import Screen
from menus.state import MenuState

TYPED = {
    "number": ("1", "50", "x"),
    "text": ("Ni Luh Putu Ayu Kusumawati Dewi", "Banjar Dinas Kauh, Desa Bugbug, Karangasem", "x"),
    "recording": ("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", "x"),
}
LONGEST_ORDER_NUMBER = "999999"
Check = Callable[[Context, MenuState, Screen], None]


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


def walk(ctx: Context, *firsts: MenuState, check: Check) -> int:
    """Breadth-first over every state reachable from `firsts`; `check` asserts on each screen."""
    language = firsts[0].language
    widest = set()
    for market in ctx.catalog.markets():
        items = [i for i in ctx.catalog.item_list if i.market_id == market.id]
        widest.add(max(items, key=lambda item: len(item.label(language))).id)
    seen, queue, screens = {visit_key(ctx, first) for first in firsts}, deque(firsts), 0
    while queue:
        state = queue.popleft()
        check(ctx, state, engine.screen(ctx, state))
        screens += 1
        for following in successors(ctx, state, widest):
            key = visit_key(ctx, following)
            if key not in seen:
                seen.add(key)
                queue.append(following)
    return screens


def callers(catalog) -> dict[str, Caller]:
    """A first-time caller, and a returning one with a long name and a big last order."""
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
