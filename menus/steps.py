"""Every step of the ordering menus, from the language choice to the closing screen.

Back (`0`) from each step goes to its parent: item -> trader -> market -> language (or the
returning customer's home); the basket, name, address and summary go back to the basket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from menus.catalog import ItemInfo
from menus.context import Context, PlaceOrder, SaveLanguage, Turn
from menus.customer_details import valid_address, valid_name
from menus.screen import Screen
from menus.state import CartLine, MenuState
from menus.step_kinds import Action, InputStep, ListStep, Step, keypad_number
from voice_prompts import LANGUAGES, Money, Text, When


def main_menu(ctx: Context, state: MenuState) -> MenuState:
    """Returning customers start at 'repeat last order'; others at the market list."""
    return state.go("home" if ctx.caller.last_order else "market")


def cart_total(ctx: Context, cart: Sequence[CartLine]) -> int:
    """The goods total of a basket at today's prices."""
    return sum(_line_amount(ctx, line) for line in cart)


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
            ("1", Text.of("home.repeat", total=total), _repeat_last_order),
            ("2", Text.of("home.new_order"), lambda c, s: Turn(s.go("market"))),
            ("3", Text.of("home.language"), lambda c, s: Turn(s.go("language"))),
        ]


def _repeat_last_order(ctx: Context, state: MenuState) -> Turn:
    last = ctx.caller.last_order
    if last is None:
        return Turn(state.go("market"))
    lines = [CartLine(item_id, quantity) for item_id, quantity in last.lines]
    gone = [line.item_id for line in lines if not _available(ctx, line.item_id)]
    cart = tuple(line for line in lines if line.item_id not in gone)
    repeated = replace(state, cart=cart, market_id=last.market_id, vendor_id=None, item_id=None)
    notice = (Text.of("error.unavailable", items=item_names(ctx, state, gone)),) if gone else ()
    if not cart:
        return Turn(state.with_notice(*notice))
    return Turn(replace(_checkout(ctx, repeated), notice=notice))


class MarketStep(ListStep):
    """The markets (and the shops), most used first."""

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        return (Text.of("market.title"),)

    def entries(self, ctx: Context, state: MenuState) -> Sequence[tuple[Text, Any]]:
        return [(Text.of("market.option", name=m.name), m.id) for m in ctx.catalog.markets()]

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
        return [
            (
                Text.of("vendor.option", name=v.name, category=Text.of(f"category.{v.category}")),
                v.id,
            )
            for v in ctx.catalog.vendors(state.market_id or 0)
        ]

    def pick(self, ctx: Context, state: MenuState, vendor_id: int) -> Turn:
        return Turn(state.go("item", vendor_id=vendor_id))

    def back(self, ctx: Context, state: MenuState) -> MenuState | None:
        return state.go("market")


class ItemStep(ListStep):
    """A trader's items with price and unit; sold-out items are not offered."""

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        vendor = ctx.catalog.vendor(state.vendor_id or 0)
        title = Text.of("item.title", vendor=vendor.name if vendor else "")
        if not ctx.catalog.items(state.vendor_id or 0):
            return (title, Text.of("item.none"))
        return (title,)

    def entries(self, ctx: Context, state: MenuState) -> Sequence[tuple[Text, Any]]:
        return [
            (
                Text.of("item.option", **_priced(item, state.language)),
                item.id,
            )
            for item in ctx.catalog.items(state.vendor_id or 0)
        ]

    def pick(self, ctx: Context, state: MenuState, item_id: int) -> Turn:
        return Turn(state.go("quantity", item_id=item_id))

    def back(self, ctx: Context, state: MenuState) -> MenuState | None:
        return state.go("vendor")


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
                **_priced(item, state.language),
                max=ctx.rules.max_quantity,
            ),
        )

    def accept(self, ctx: Context, state: MenuState, value: str) -> Turn:
        item = ctx.catalog.item(state.item_id or 0)
        if item is None or not ctx.rules.available(item):
            notice = Text.of("error.unavailable", items=_item_name(ctx, state, state.item_id or 0))
            return Turn(state.go("item", notice=(notice,)))
        invalid = Text.of("quantity.invalid", max=ctx.rules.max_quantity)
        quantity = keypad_number(value, max_digits=3) or 0
        cart = _add_to_cart(ctx, state.cart, item.id, quantity)
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


class CartStep(ListStep):
    """The basket and its total: add more, remove a line, or check out."""

    numbered = False

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        if not state.cart:
            return (Text.of("cart.empty"),)
        total = Money(cart_total(ctx, state.cart))
        return (Text.of("cart.title", count=len(state.cart), total=total),)

    def actions(self, ctx: Context, state: MenuState) -> Sequence[Action]:
        actions: list[Action] = [("1", Text.of("cart.add_more"), _add_more)]
        if state.cart:
            actions.append(("2", Text.of("cart.remove"), lambda c, s: Turn(s.go("remove"))))
            actions.append(("3", Text.of("cart.checkout"), lambda c, s: Turn(_checkout(c, s))))
        return actions

    def back(self, ctx: Context, state: MenuState) -> MenuState | None:
        if state.vendor_id is not None:
            return state.go("item")
        return state.go("vendor" if state.market_id is not None else "market")


def _add_more(ctx: Context, state: MenuState) -> Turn:
    return Turn(state.go("vendor" if state.market_id is not None else "market"))


class RemoveStep(ListStep):
    """Which basket line to remove."""

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        return (Text.of("remove.title"),)

    def entries(self, ctx: Context, state: MenuState) -> Sequence[tuple[Text, Any]]:
        return [
            (
                Text.of(
                    "remove.option",
                    name=_item_name(ctx, state, line.item_id),
                    quantity=line.quantity,
                    unit=_unit(ctx, line.item_id),
                ),
                index,
            )
            for index, line in enumerate(state.cart)
        ]

    def pick(self, ctx: Context, state: MenuState, index: int) -> Turn:
        line = state.cart[index]
        cart = state.cart[:index] + state.cart[index + 1 :]
        notice = Text.of("cart.removed", name=_item_name(ctx, state, line.item_id))
        return Turn(state.go("cart", cart=cart, notice=(notice,)))

    def back(self, ctx: Context, state: MenuState) -> MenuState | None:
        return state.go("cart")


class NameStep(InputStep):
    """A new customer's name, typed (text channels)."""

    def prompt(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        return (Text.of("name.ask"),)

    def accept(self, ctx: Context, state: MenuState, value: str) -> Turn:
        if not valid_name(value):
            return Turn(state.with_notice(Text.of("name.invalid")))
        return Turn(_checkout(ctx, replace(state, name=value)))

    def back(self, ctx: Context, state: MenuState) -> MenuState:
        return state.go("cart")


class AddressStep(InputStep):
    """Where to deliver: banjar, desa and a landmark, typed (text channels)."""

    def prompt(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        return (Text.of("address.ask"),)

    def accept(self, ctx: Context, state: MenuState, value: str) -> Turn:
        if not valid_address(value):
            return Turn(state.with_notice(Text.of("address.invalid")))
        return Turn(_checkout(ctx, replace(state, address=value)))

    def back(self, ctx: Context, state: MenuState) -> MenuState:
        return state.go("name" if not ctx.caller.name else "cart")


class RecordStep(InputStep):
    """Voice: the caller says their name and address after the beep (kept as a recording)."""

    expects = "recording"

    def prompt(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        return (Text.of("record.ask"),)

    def accept(self, ctx: Context, state: MenuState, value: str) -> Turn:
        if not value.startswith(("https://", "http://")):
            return Turn(state.with_notice(Text.of("record.invalid")))
        return Turn(_checkout(ctx, replace(state, address_recording=value)))

    def back(self, ctx: Context, state: MenuState) -> MenuState:
        return state.go("cart")


class SummaryStep(ListStep):
    """The total (and a closed market's delivery time) on every page, then the lines."""

    numbered = False

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        market = ctx.catalog.market(state.market_id or 0)
        fee = market.delivery_fee if market else 0
        total = Money(cart_total(ctx, state.cart) + fee)
        head: tuple[Text, ...] = (Text.of("summary.total", total=total, fee=Money(fee)),)
        if market and market.reopens_at:
            head += (Text.of("summary.later", when=When(market.reopens_at)),)
        return head

    def entries(self, ctx: Context, state: MenuState) -> Sequence[tuple[Text, Any]]:
        return [
            (
                Text.of(
                    "summary.line",
                    name=_item_name(ctx, state, line.item_id),
                    quantity=line.quantity,
                    unit=_unit(ctx, line.item_id),
                    amount=Money(_line_amount(ctx, line)),
                ),
                None,
            )
            for line in state.cart
        ]

    def actions(self, ctx: Context, state: MenuState) -> Sequence[Action]:
        return [
            ("1", Text.of("summary.confirm"), _confirm),
            ("2", Text.of("summary.change"), lambda c, s: Turn(s.go("cart"))),
        ]

    def back(self, ctx: Context, state: MenuState) -> MenuState | None:
        return state.go("cart")


def _confirm(ctx: Context, state: MenuState) -> Turn:
    if not state.cart or state.market_id is None:
        return Turn(state.go("cart"))
    order = PlaceOrder(
        market_id=state.market_id,
        lines=state.cart,
        name=state.name or ctx.caller.name or "",
        address=state.address or ctx.caller.address or "",
        address_recording_url=state.address_recording or ctx.caller.address_recording_url,
    )
    return Turn(replace(state, notice=()), (order,))


class DoneStep(Step):
    """The closing screen: the order number and total, or why nothing was ordered."""

    def screen(self, ctx: Context, state: MenuState) -> Screen:
        return Screen(state.notice, end=True)

    def handle(self, ctx: Context, state: MenuState, value: str) -> Turn:
        return Turn(state)


STEPS: dict[str, Step] = {
    "language": LanguageStep(),
    "resume": ResumeStep(),
    "home": HomeStep(),
    "market": MarketStep(),
    "switch": SwitchMarketStep(),
    "vendor": VendorStep(),
    "item": ItemStep(),
    "quantity": QuantityStep(),
    "cart": CartStep(),
    "remove": RemoveStep(),
    "name": NameStep(),
    "address": AddressStep(),
    "record": RecordStep(),
    "summary": SummaryStep(),
    "done": DoneStep(),
}


# ---------------------------------------------------------------- helpers


def _checkout(ctx: Context, state: MenuState) -> MenuState:
    """The next checkout screen: what we still need to know, then the summary.

    A caller who cannot type (voice) says their name and address in one recording instead.
    """
    if state.address or state.address_recording or ctx.caller.has_address:
        if state.name or ctx.caller.name or not ctx.profile.text_input:
            return state.go("summary")
    if not ctx.profile.text_input:
        return state.go("record")
    if not (state.name or ctx.caller.name):
        return state.go("name")
    if not (state.address or ctx.caller.has_address):
        return state.go("address")
    return state.go("summary")


def _add_to_cart(
    ctx: Context, cart: tuple[CartLine, ...], item_id: int, quantity: int
) -> tuple[CartLine, ...]:
    """The basket with `quantity` more of the item (one line per item, as the rules merge)."""
    lines = [(line.item_id, line.quantity) for line in cart] + [(item_id, quantity)]
    return tuple(CartLine(i, q) for i, q in ctx.rules.merge(lines).items())


def _priced(item: ItemInfo, lang: str) -> dict[str, Text | Money | str]:
    """The name, price and unit of an item, as prompt parameters."""
    return {
        "name": item.label(lang),
        "price": Money(item.price),
        "unit": Text.of(f"unit.{item.unit}"),
    }


def _available(ctx: Context, item_id: int) -> bool:
    return ctx.rules.available(ctx.catalog.item(item_id))


def _item_name(ctx: Context, state: MenuState, item_id: int) -> str:
    item = ctx.catalog.item(item_id)
    return item.label(state.language) if item else "?"


def item_names(ctx: Context, state: MenuState, item_ids: Sequence[int]) -> str:
    return ", ".join(_item_name(ctx, state, item_id) for item_id in item_ids)


def _unit(ctx: Context, item_id: int) -> Text:
    item = ctx.catalog.item(item_id)
    return Text.of(f"unit.{item.unit}") if item else Text.of("unit.buah")


def _line_amount(ctx: Context, line: CartLine) -> int:
    item = ctx.catalog.item(line.item_id)
    return item.price * line.quantity if item else 0


def too_large_notice(ctx: Context, goods_total: int) -> Text:
    return Text.of("error.too_large", total=Money(goods_total), cap=Money(ctx.rules.goods_cap))
