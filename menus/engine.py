"""The menu engine: language -> market -> trader -> item -> quantity -> cart -> checkout.

Pure functions of (context, state, input): no Flask, no SQL, no provider formats. A step
returns the next state and, where something must happen outside the menus, an effect
(`SaveLanguage`, `PlaceOrder`) for the caller to carry out. `screen(ctx, state)` lays the
state out within the channel's limits; the same state always gives the same screen.

Keys (docs/RULES.md): the numbers on the screen choose, `98` shows the next page, `0` goes back
(to the previous page first), `00` returns to the main menu with the basket kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from menus.basket import to_summary
from menus.context import BasketRules, Context, Effect, PlaceOrder, SaveLanguage, Turn
from menus.customer_details import tidy
from menus.screen import Screen
from menus.state import MenuState
from menus.steps import (
    STEPS,
    cart_total,
    item_names,
    main_menu,
    repeat_last_order,
    too_large_notice,
)
from voice_prompts import Digits, Money, Text, When

__all__ = [
    "Context",
    "Effect",
    "BasketRules",
    "PlaceOrder",
    "SaveLanguage",
    "Turn",
    "cart_total",
    "handle",
    "items_unavailable",
    "main_menu",
    "order_placed",
    "order_too_large",
    "prices_changed",
    "reads_open_order",
    "start_callback",
    "render",
    "screen",
    "start",
]


def start(ctx: Context, resumable: MenuState | None = None) -> MenuState:
    """The first state of a new session: resume offer, language choice, or the main menu.

    A caller with an order on its way hears (or reads) where it is first.
    """
    language = ctx.caller.language or ctx.default_language
    if resumable is not None and resumable.cart:
        return MenuState(step="resume", language=resumable.language, resume=resumable.to_dict())
    if ctx.caller.language is None:
        return MenuState(step="language", language=language)
    first = main_menu(ctx, MenuState(language=language))
    order = ctx.caller.open_order
    if order is None:
        return first
    courier = order.courier or ""
    news = Text.of(f"order_state.{order.state}", number=Digits(order.number), courier=courier)
    return first.with_notice(news)


# The steps that ask about the caller's order on its way (before another, or a repeat).
OPEN_ORDER_STEPS = frozenset({"home", "again"})


def reads_open_order(step: str | None) -> bool:
    """Whether a hop from `step` needs the caller's order on its way in the context."""
    return step in OPEN_ORDER_STEPS


def start_callback(ctx: Context) -> MenuState:
    """The first state of a call back: the last order, priced now, and one key to order it.

    Items sold out since are left out and named; with nothing left, the main menu.
    """
    state = MenuState(language=ctx.caller.language or ctx.default_language)
    repeated = repeat_last_order(ctx, state.go("home")).state
    if repeated.step != "summary":
        return repeated
    return replace(repeated, step="callback")


def handle(ctx: Context, state: MenuState, raw_input: str) -> Turn:
    """Apply one input (a key press, digits or typed text) to the state."""
    value = tidy(raw_input)
    home_key = ctx.profile.home_key
    if home_key and value == home_key and state.step not in ("done", "language", "resume"):
        return Turn(main_menu(ctx, state))
    return STEPS[state.step].handle(ctx, state, value)


def screen(ctx: Context, state: MenuState) -> Screen:
    """What the caller sees in `state`."""
    return STEPS[state.step].screen(ctx, state)


def render(ctx: Context, state: MenuState) -> str:
    """The screen of `state` as text, within the channel's character limit."""
    return screen(ctx, state).render_text(ctx.prompts, state.language, ctx.profile.max_chars)


def order_placed(
    state: MenuState,
    *,
    number: str,
    total: int,
    reopens_at: Any | None = None,
    timezone: str | None = None,
    nobody_free: bool = False,
) -> MenuState:
    """The closing state after the order was placed (`timezone`: its market's), saying what
    happens next as the customer's SMS does: couriers are being asked; nobody is free and
    staff will call (`nobody_free`; the SMS adds the call center's number, which a USSD
    screen has no room for); or the market is closed and the order waits for its opening
    (`reopens_at`)."""
    notice = [Text.of("done.placed", number=Digits(number), total=Money(total))]
    if reopens_at is not None:
        when = When(reopens_at, timezone) if timezone else When(reopens_at)
        notice.append(Text.of("done.later", when=when))
    elif nobody_free:
        notice.append(Text.of("done.next_staff"))
    else:
        notice.append(Text.of("done.next_courier"))
    return state.go("done", cart=(), notice=tuple(notice))


def items_unavailable(ctx: Context, state: MenuState, item_ids: Sequence[int]) -> MenuState:
    """Drop items that sold out meanwhile, name them, and show what is left."""
    cart = tuple(line for line in state.cart if line.item_id not in set(item_ids))
    notice = Text.of("error.unavailable", items=item_names(ctx, state, item_ids))
    if not cart:
        return state.go("cart", cart=cart, notice=(notice,))
    return to_summary(ctx, state, cart=cart, notice=(notice,))


def prices_changed(ctx: Context, state: MenuState, item_ids: Sequence[int]) -> MenuState:
    """Nothing was ordered: the summary again at today's prices, saying what changed (the
    items named, or the delivery fee when no item's price did), for a new confirmation."""
    if item_ids:
        notice = Text.of("summary.repriced", items=item_names(ctx, state, item_ids))
    else:
        notice = Text.of("summary.fee_changed")
    return to_summary(ctx, state, notice=(notice,))


def order_too_large(ctx: Context, state: MenuState, goods_total: int) -> MenuState:
    """Back to the basket, saying the goods total is over the cap."""
    return state.go("cart", notice=(too_large_notice(ctx, goods_total),))
