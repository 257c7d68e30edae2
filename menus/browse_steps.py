"""The steps that fill the basket: language, resume, home, again, market, trader, item,
quantity.

Back (`0`) from each goes to its parent: item -> trader -> market -> language (or the
returning customer's home).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from menus.basket import (
    add_to_cart,
    available,
    cart_total,
    item_name,
    item_names,
    priced,
    too_large_notice,
)
from menus.catalog import still_on_its_way
from menus.checkout_steps import next_checkout_step
from menus.context import Context, SaveLanguage, Turn
from menus.state import CartLine, MenuState
from menus.step_kinds import Action, InputStep, Lazy, ListStep, keypad_number
from voice_prompts import LANGUAGES, Money, Text


def main_menu(ctx: Context, state: MenuState) -> MenuState:
    """Returning customers start at 'repeat last order'; others at the market list."""
    return state.go("home" if ctx.caller.last_order else "market")


class LanguageStep(ListStep):
    """The first screen of a new caller: Bahasa Indonesia, Basa Bali, English."""

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        return (Text.of("welcome.language"),)

    def entries(self, ctx: Context, state: MenuState) -> Sequence[tuple[Text, Any]]:
        return [(Text.of(f"language.{lang}"), lang) for lang in LANGUAGES]

    def pick(self, ctx: Context, state: MenuState, lang: str) -> Turn:
        return Turn(main_menu(ctx, replace(state, language=lang)), (SaveLanguage(lang),))

    def back(self, ctx: Context, state: MenuState) -> MenuState | None:
        return main_menu(ctx, state) if ctx.caller.language else None


class ResumeStep(ListStep):
    """A basket dropped less than ten minutes ago: carry on with it, or start again."""

    numbered = False

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        saved = MenuState.from_dict(state.resume or {})
        total = Money(cart_total(ctx, saved.cart))
        return (Text.of("resume.title", count=len(saved.cart), total=total),)

    def actions(self, ctx: Context, state: MenuState) -> Sequence[Action]:
        return [
            ("1", Text.of("resume.continue"), _resume),
            ("2", Text.of("resume.fresh"), _fresh_start),
        ]


def _resume(ctx: Context, state: MenuState) -> Turn:
    saved = MenuState.from_dict(state.resume or {})
    return Turn(replace(saved, notice=(), resume=None))


def _fresh_start(ctx: Context, state: MenuState) -> Turn:
    fresh = MenuState(language=state.language)
    if ctx.caller.language is None:
        return Turn(fresh.go("language"))
    return Turn(main_menu(ctx, fresh))


class HomeStep(ListStep):
    """A returning customer's main menu: repeat the last order, or order something else."""

    numbered = False

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        if not ctx.caller.name:  # a voice caller known by their spoken address only
            return (Text.of("home.greeting_anonymous"),)
        return (Text.of("home.greeting", name=ctx.caller.name),)

    def actions(self, ctx: Context, state: MenuState) -> Sequence[Action]:
        last = ctx.caller.last_order
        total = Money(last.total if last else 0)
        return [
            ("1", Text.of("home.repeat", total=total), _asking_first("repeat")),
            ("2", Text.of("home.new_order"), _asking_first("new")),
            ("3", Text.of("home.language"), lambda c, s: Turn(s.go("language"))),
        ]


def _asking_first(pending: str) -> Callable[[Context, MenuState], Turn]:
    """A new order or a repeat: asked again first while the caller's last one is on its way."""

    def start(ctx: Context, state: MenuState) -> Turn:
        if ctx.caller.open_order is not None:
            return Turn(state.go("again", pending_order=pending))
        return START_ORDER[pending](ctx, state)

    return start


class AgainStep(ListStep):
    """An order is still on its way: "Pesanan 4440 Anda (Rp38.000) masih diproses. Pesan lagi?"

    A forgetful caller must not order twice without a word; one who means it says yes.
    """

    numbered = False

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        order = ctx.caller.open_order
        if order is None:
            return ()
        return (still_on_its_way(order.number, order.total),)

    def actions(self, ctx: Context, state: MenuState) -> Sequence[Action]:
        return [
            ("1", Text.of("again.yes"), _order_again),
            ("2", Text.of("again.no"), lambda c, s: Turn(main_menu(c, s))),
        ]

    def back(self, ctx: Context, state: MenuState) -> MenuState | None:
        return main_menu(ctx, state)


def _order_again(ctx: Context, state: MenuState) -> Turn:
    start = START_ORDER.get(state.pending_order or "", START_ORDER["new"])
    return start(ctx, replace(state, pending_order=None))


def repeat_last_order(ctx: Context, state: MenuState) -> Turn:
    """The last order's basket again, to its summary (items sold out since left out, named)."""
    last = ctx.caller.last_order
    if last is None:
        return Turn(state.go("market"))
    lines = [CartLine(item_id, quantity) for item_id, quantity in last.lines]
    gone = [line.item_id for line in lines if not available(ctx, line.item_id)]
    cart = tuple(line for line in lines if line.item_id not in gone)
    repeated = replace(state, cart=cart, market_id=last.market_id, vendor_id=None, item_id=None)
    notice = (Text.of("error.unavailable", items=item_names(ctx, state, gone)),) if gone else ()
    if not cart:
        return Turn(state.with_notice(*notice))
    return Turn(replace(next_checkout_step(ctx, repeated), notice=notice))


START_ORDER: dict[str, Callable[[Context, MenuState], Turn]] = {
    "repeat": repeat_last_order,
    "new": lambda ctx, state: Turn(state.go("market")),
}


class MarketStep(ListStep):
    """The markets (and the shops), most used first."""

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        return (Text.of("market.title"),)

    def entries(self, ctx: Context, state: MenuState) -> Sequence[tuple[Text, Any]]:
        return [(Text.of("market.option", name=m.name), m.id) for m in ctx.catalog.markets()]

    def page_key(self, state: MenuState) -> tuple[Any, ...]:
        return ()  # back leads home or to the languages: a back either way

    def pick(self, ctx: Context, state: MenuState, market_id: int) -> Turn:
        if state.cart and state.market_id != market_id:
            return Turn(state.go("switch", pending_market_id=market_id))
        return Turn(state.go("vendor", market_id=market_id))

    def back(self, ctx: Context, state: MenuState) -> MenuState | None:
        return state.go("home") if ctx.caller.last_order else state.go("language")


class SwitchMarketStep(ListStep):
    """Another market with a full basket: empty it and switch, or keep it."""

    numbered = False

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        market = ctx.catalog.market(state.market_id or 0)
        return (Text.of("switch.title", market=market.name if market else ""),)

    def actions(self, ctx: Context, state: MenuState) -> Sequence[Action]:
        return [
            ("1", Text.of("switch.yes"), _switch_market),
            ("2", Text.of("switch.no"), lambda c, s: Turn(s.go("market"))),
        ]

    def back(self, ctx: Context, state: MenuState) -> MenuState | None:
        return state.go("market")


def _switch_market(ctx: Context, state: MenuState) -> Turn:
    market_id = state.pending_market_id
    return Turn(state.go("vendor", market_id=market_id, pending_market_id=None, cart=()))


class VendorStep(ListStep):
    """The traders of the chosen market, with what they sell."""

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        market = ctx.catalog.market(state.market_id or 0)
        return (Text.of("vendor.title", market=market.name if market else ""),)

    def entries(self, ctx: Context, state: MenuState) -> Sequence[tuple[Text, Any]]:
        return Lazy(
            ctx.catalog.vendors(state.market_id or 0),
            lambda v: (
                Text.of("vendor.option", name=v.name, category=Text.of(f"category.{v.category}")),
                v.id,
            ),
        )

    def pick(self, ctx: Context, state: MenuState, vendor_id: int) -> Turn:
        return Turn(state.go("item", vendor_id=vendor_id))

    def back(self, ctx: Context, state: MenuState) -> MenuState | None:
        return state.go("market")

    def page_key(self, state: MenuState) -> tuple[Any, ...]:
        return (state.market_id,)


class ItemStep(ListStep):
    """A trader's items with price and unit; sold-out items are not offered."""

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        vendor = ctx.catalog.vendor(state.vendor_id or 0)
        title = Text.of("item.title", vendor=vendor.name if vendor else "")
        if not ctx.catalog.items(state.vendor_id or 0):
            return (title, Text.of("item.none"))
        return (title,)

    def entries(self, ctx: Context, state: MenuState) -> Sequence[tuple[Text, Any]]:
        return Lazy(
            ctx.catalog.items(state.vendor_id or 0),
            lambda item: (Text.of("item.option", **priced(item, state.language)), item.id),
        )

    def pick(self, ctx: Context, state: MenuState, item_id: int) -> Turn:
        return Turn(state.go("quantity", item_id=item_id))

    def back(self, ctx: Context, state: MenuState) -> MenuState | None:
        return state.go("vendor")

    def page_key(self, state: MenuState) -> tuple[Any, ...]:
        return (state.vendor_id,)


class QuantityStep(InputStep):
    """How many units of the chosen item: typed digits, checked by the order rules."""

    expects = "number"

    def prompt(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        item = ctx.catalog.item(state.item_id or 0)
        if item is None:
            return (Text.of("item.none"),)
        return (
            Text.of(
                "quantity.title",
                **priced(item, state.language),
                max=ctx.rules.max_quantity,
            ),
        )

    def accept(self, ctx: Context, state: MenuState, value: str) -> Turn:
        item = ctx.catalog.item(state.item_id or 0)
        if item is None or not ctx.rules.available(item):
            notice = Text.of("error.unavailable", items=item_name(ctx, state, state.item_id or 0))
            return Turn(state.go("item", notice=(notice,)))
        invalid = Text.of("quantity.invalid", max=ctx.rules.max_quantity)
        quantity = keypad_number(value, max_digits=3) or 0
        cart = add_to_cart(ctx, state.cart, item.id, quantity)
        quantities = [quantity, *(line.quantity for line in cart)]
        if not all(ctx.rules.quantity_ok(q) for q in quantities):
            return Turn(state.with_notice(invalid))
        goods_total = cart_total(ctx, cart)
        if not ctx.rules.within_cap(goods_total):
            return Turn(state.with_notice(too_large_notice(ctx, goods_total)))
        added = Text.of(
            "cart.added",
            name=item.label(state.language),
            quantity=quantity,
            unit=Text.of(f"unit.{item.unit}"),
        )
        return Turn(state.go("cart", cart=cart, market_id=item.market_id, notice=(added,)))

    def back(self, ctx: Context, state: MenuState) -> MenuState:
        return state.go("item")
