"""The menu engine: language -> market -> trader -> item -> quantity -> cart -> checkout.

Pure functions of (context, state, input): no Flask, no SQL, no provider formats. A step
returns the next state and, where something must happen outside the menus, an effect
(`SaveLanguage`, `PlaceOrder`) for the caller to carry out. `screen(ctx, state)` lays the
state out within the channel's limits; the same state always gives the same screen.

Keys (DESIGN.md): the numbers on the screen choose, `98` shows the next page, `0` goes back
(to the previous page first), `00` returns to the main menu with the basket kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from menus.catalog import Caller, Catalog
from menus.screen import ChannelProfile, ListLayout, Option, Screen, page_screen, paginate
from menus.sms import is_gsm7
from menus.state import CartLine, MenuState
from voice_prompts import LANGUAGES, Money, PromptCatalog, Text, When, default_catalog

NAME_LENGTH = (2, 60)
ADDRESS_LENGTH = (5, 160)


@dataclass(frozen=True)
class Rules:
    """Limits of an order that the menus enforce before the order is placed."""

    goods_cap: int = 300_000
    max_quantity: int = 50


@dataclass(frozen=True)
class Context:
    """Everything a step may look at besides the state: read-only."""

    catalog: Catalog
    caller: Caller
    profile: ChannelProfile
    rules: Rules = field(default_factory=Rules)
    prompts: PromptCatalog = field(default_factory=default_catalog)
    default_language: str = "id"


@dataclass(frozen=True)
class SaveLanguage:
    """Remember the caller's language choice."""

    language: str


@dataclass(frozen=True)
class PlaceOrder:
    """Place the order in the basket; answer with `order_placed` or a refusal."""

    market_id: int
    lines: tuple[CartLine, ...]
    name: str
    address: str


Effect = SaveLanguage | PlaceOrder


@dataclass(frozen=True)
class Turn:
    state: MenuState
    effects: tuple[Effect, ...] = ()


# ---------------------------------------------------------------- public verbs


def start(ctx: Context, resumable: MenuState | None = None) -> MenuState:
    """The first state of a new session: resume offer, language choice, or the main menu."""
    language = ctx.caller.language or ctx.default_language
    if resumable is not None and resumable.cart:
        return MenuState(step="resume", language=resumable.language, resume=resumable.to_dict())
    if ctx.caller.language is None:
        return MenuState(step="language", language=language)
    return main_menu(ctx, MenuState(language=language))


def handle(ctx: Context, state: MenuState, raw_input: str) -> Turn:
    """Apply one input (a key press, digits or typed text) to the state."""
    value = " ".join(raw_input.split())
    if value == ctx.profile.home_key and state.step not in ("done", "language", "resume"):
        return Turn(main_menu(ctx, state))
    return STEPS[state.step].handle(ctx, state, value)


def screen(ctx: Context, state: MenuState) -> Screen:
    """What the caller sees in `state`."""
    return STEPS[state.step].screen(ctx, state)


def render(ctx: Context, state: MenuState) -> str:
    """The screen of `state` as text, within the channel's character limit."""
    return screen(ctx, state).render_text(ctx.prompts, state.language, ctx.profile.max_chars)


def order_placed(
    state: MenuState, *, number: str, total: int, reopens_at: Any | None = None
) -> MenuState:
    """The closing state after the order was placed."""
    notice = [Text.of("done.placed", number=number, total=Money(total))]
    if reopens_at is not None:
        notice.append(Text.of("done.later", when=When(reopens_at)))
    return state.go("done", cart=(), order_number=number, notice=tuple(notice))


def items_unavailable(ctx: Context, state: MenuState, item_ids: Sequence[int]) -> MenuState:
    """Drop items that sold out meanwhile, name them, and show what is left."""
    cart = tuple(line for line in state.cart if line.item_id not in set(item_ids))
    notice = Text.of("error.unavailable", items=_names(ctx, state, item_ids))
    return state.go("summary" if cart else "cart", cart=cart, notice=(notice,))


def order_too_large(ctx: Context, state: MenuState, goods_total: int) -> MenuState:
    """Back to the basket, saying the goods total is over the cap."""
    return state.go("cart", notice=(_too_large_notice(ctx, goods_total),))


def main_menu(ctx: Context, state: MenuState) -> MenuState:
    """Returning customers start at 'repeat last order'; others at the market list."""
    return state.go("home" if ctx.caller.last_order else "market")


def cart_total(ctx: Context, cart: Sequence[CartLine]) -> int:
    """The goods total of a basket at today's prices."""
    return sum(_line_amount(ctx, line) for line in cart)


# ---------------------------------------------------------------- step machinery

Action = tuple[str, Text, Callable[[Context, MenuState], Turn]]


class Step:
    """One kind of screen."""

    def screen(self, ctx: Context, state: MenuState) -> Screen:
        raise NotImplementedError

    def handle(self, ctx: Context, state: MenuState, value: str) -> Turn:
        raise NotImplementedError


class ListStep(Step):
    """A screen with a (paginated) list and fixed actions."""

    numbered = True

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        return ()

    def entries(self, ctx: Context, state: MenuState) -> Sequence[tuple[Text, Any]]:
        return ()

    def actions(self, ctx: Context, state: MenuState) -> Sequence[Action]:
        return ()

    def pick(self, ctx: Context, state: MenuState, value: Any) -> Turn:
        raise NotImplementedError

    def back(self, ctx: Context, state: MenuState) -> MenuState | None:
        return None

    def _layout(self, ctx: Context, state: MenuState) -> tuple[ListLayout, list[Any]]:
        entries = list(self.entries(ctx, state))
        layout = ListLayout(
            head=state.notice + self.head(ctx, state),
            entries=tuple(label for label, _ in entries),
            numbered=self.numbered,
            actions=tuple(Option(key, label) for key, label, _ in self.actions(ctx, state)),
            can_go_back=self.back(ctx, state) is not None,
        )
        return layout, [value for _, value in entries]

    def _paged(self, ctx: Context, state: MenuState):
        layout, values = self._layout(ctx, state)
        pages = paginate(layout, ctx.profile, ctx.prompts, state.language)
        page = min(max(state.page, 0), len(pages) - 1)
        return layout, values, pages, page

    def screen(self, ctx: Context, state: MenuState) -> Screen:
        layout, _, pages, page = self._paged(ctx, state)
        return page_screen(layout, pages, page, ctx.profile)

    def handle(self, ctx: Context, state: MenuState, value: str) -> Turn:
        layout, values, pages, page = self._paged(ctx, state)
        profile = ctx.profile
        if value == profile.next_key and page + 1 < len(pages):
            return Turn(replace(state, page=page + 1, notice=()))
        if value == profile.back_key:
            if page > 0:
                return Turn(replace(state, page=page - 1, notice=()))
            previous = self.back(ctx, state)
            if previous is not None:
                return Turn(previous)
        for key, _, action in self.actions(ctx, state):
            if value == key:
                return action(ctx, state)
        number = _number(value, max_digits=2)
        if self.numbered and number is not None:
            start, end = pages[page]
            index = start + number - 1
            if start <= index < end:
                return self.pick(ctx, state, values[index])
        return Turn(state.with_notice(Text.of("error.unknown_option")))


class InputStep(Step):
    """A screen that asks for a number or a text."""

    expects = "text"

    def prompt(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        raise NotImplementedError

    def accept(self, ctx: Context, state: MenuState, value: str) -> Turn:
        raise NotImplementedError

    def back(self, ctx: Context, state: MenuState) -> MenuState:
        raise NotImplementedError

    def screen(self, ctx: Context, state: MenuState) -> Screen:
        back = Option(ctx.profile.back_key, Text.of("nav.back"))
        return Screen(state.notice + self.prompt(ctx, state), (back,), expects=self.expects)

    def handle(self, ctx: Context, state: MenuState, value: str) -> Turn:
        if value == ctx.profile.back_key:
            return Turn(self.back(ctx, state))
        return self.accept(ctx, state, value)


# ---------------------------------------------------------------- the steps


class LanguageStep(ListStep):
    def head(self, ctx, state):
        return (Text.of("welcome.language"),)

    def entries(self, ctx, state):
        return [(Text.of(f"language.{lang}"), lang) for lang in LANGUAGES]

    def pick(self, ctx, state, lang):
        return Turn(main_menu(ctx, replace(state, language=lang)), (SaveLanguage(lang),))

    def back(self, ctx, state):
        return main_menu(ctx, state) if ctx.caller.language else None


class ResumeStep(ListStep):
    numbered = False

    def head(self, ctx, state):
        saved = MenuState.from_dict(state.resume or {})
        total = Money(cart_total(ctx, saved.cart))
        return (Text.of("resume.title", count=len(saved.cart), total=total),)

    def actions(self, ctx, state):
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
    numbered = False

    def head(self, ctx, state):
        return (Text.of("home.greeting", name=ctx.caller.name or ""),)

    def actions(self, ctx, state):
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
    notice = (Text.of("error.unavailable", items=_names(ctx, state, gone)),) if gone else ()
    if not cart:
        return Turn(state.with_notice(*notice))
    return Turn(replace(_checkout(ctx, repeated), notice=notice))


class MarketStep(ListStep):
    def head(self, ctx, state):
        return (Text.of("market.title"),)

    def entries(self, ctx, state):
        return [(Text.of("market.option", name=m.name), m.id) for m in ctx.catalog.markets()]

    def pick(self, ctx, state, market_id):
        if state.cart and state.market_id != market_id:
            return Turn(state.go("switch", pending_market_id=market_id))
        return Turn(state.go("vendor", market_id=market_id))

    def back(self, ctx, state):
        return state.go("home") if ctx.caller.last_order else state.go("language")


class SwitchMarketStep(ListStep):
    numbered = False

    def head(self, ctx, state):
        market = ctx.catalog.market(state.market_id or 0)
        return (Text.of("switch.title", market=market.name if market else ""),)

    def actions(self, ctx, state):
        return [
            ("1", Text.of("switch.yes"), _switch_market),
            ("2", Text.of("switch.no"), lambda c, s: Turn(s.go("market"))),
        ]

    def back(self, ctx, state):
        return state.go("market")


def _switch_market(ctx: Context, state: MenuState) -> Turn:
    market_id = state.pending_market_id
    return Turn(state.go("vendor", market_id=market_id, pending_market_id=None, cart=()))


class VendorStep(ListStep):
    def head(self, ctx, state):
        market = ctx.catalog.market(state.market_id or 0)
        return (Text.of("vendor.title", market=market.name if market else ""),)

    def entries(self, ctx, state):
        return [
            (Text.of("vendor.option", name=v.name, category=Text.of(f"category.{v.category}")), v.id)
            for v in ctx.catalog.vendors(state.market_id or 0)
        ]

    def pick(self, ctx, state, vendor_id):
        return Turn(state.go("item", vendor_id=vendor_id))

    def back(self, ctx, state):
        return state.go("market")


class ItemStep(ListStep):
    def head(self, ctx, state):
        vendor = ctx.catalog.vendor(state.vendor_id or 0)
        title = Text.of("item.title", vendor=vendor.name if vendor else "")
        if not ctx.catalog.items(state.vendor_id or 0):
            return (title, Text.of("item.none"))
        return (title,)

    def entries(self, ctx, state):
        return [
            (
                Text.of(
                    "item.option",
                    name=item.label(state.language),
                    price=Money(item.price),
                    unit=Text.of(f"unit.{item.unit}"),
                ),
                item.id,
            )
            for item in ctx.catalog.items(state.vendor_id or 0)
        ]

    def pick(self, ctx, state, item_id):
        return Turn(state.go("quantity", item_id=item_id))

    def back(self, ctx, state):
        return state.go("vendor")


class QuantityStep(InputStep):
    expects = "number"

    def prompt(self, ctx, state):
        item = ctx.catalog.item(state.item_id or 0)
        if item is None:
            return (Text.of("item.none"),)
        return (
            Text.of(
                "quantity.title",
                name=item.label(state.language),
                price=Money(item.price),
                unit=Text.of(f"unit.{item.unit}"),
                max=ctx.rules.max_quantity,
            ),
        )

    def accept(self, ctx, state, value):
        item = ctx.catalog.item(state.item_id or 0)
        if item is None or not item.available:
            notice = Text.of("error.unavailable", items=_item_name(ctx, state, state.item_id or 0))
            return Turn(state.go("item", notice=(notice,)))
        invalid = Text.of("quantity.invalid", max=ctx.rules.max_quantity)
        quantity = _number(value, max_digits=3) or 0
        cart = _add_to_cart(state.cart, item.id, quantity)
        if quantity < 1 or any(line.quantity > ctx.rules.max_quantity for line in cart):
            return Turn(state.with_notice(invalid))
        goods_total = cart_total(ctx, cart)
        if goods_total > ctx.rules.goods_cap:
            return Turn(state.with_notice(_too_large_notice(ctx, goods_total)))
        added = Text.of(
            "cart.added",
            name=item.label(state.language),
            quantity=quantity,
            unit=Text.of(f"unit.{item.unit}"),
        )
        return Turn(state.go("cart", cart=cart, market_id=item.market_id, notice=(added,)))

    def back(self, ctx, state):
        return state.go("item")


class CartStep(ListStep):
    numbered = False

    def head(self, ctx, state):
        if not state.cart:
            return (Text.of("cart.empty"),)
        total = Money(cart_total(ctx, state.cart))
        return (Text.of("cart.title", count=len(state.cart), total=total),)

    def actions(self, ctx, state):
        actions: list[Action] = [("1", Text.of("cart.add_more"), _add_more)]
        if state.cart:
            actions.append(("2", Text.of("cart.remove"), lambda c, s: Turn(s.go("remove"))))
            actions.append(("3", Text.of("cart.checkout"), lambda c, s: Turn(_checkout(c, s))))
        return actions

    def back(self, ctx, state):
        if state.vendor_id is not None:
            return state.go("item")
        return state.go("vendor" if state.market_id is not None else "market")


def _add_more(ctx: Context, state: MenuState) -> Turn:
    return Turn(state.go("vendor" if state.market_id is not None else "market"))


class RemoveStep(ListStep):
    def head(self, ctx, state):
        return (Text.of("remove.title"),)

    def entries(self, ctx, state):
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

    def pick(self, ctx, state, index):
        line = state.cart[index]
        cart = state.cart[:index] + state.cart[index + 1 :]
        notice = Text.of("cart.removed", name=_item_name(ctx, state, line.item_id))
        return Turn(state.go("cart", cart=cart, notice=(notice,)))

    def back(self, ctx, state):
        return state.go("cart")


class NameStep(InputStep):
    def prompt(self, ctx, state):
        return (Text.of("name.ask"),)

    def accept(self, ctx, state, value):
        if not _valid_text(value, NAME_LENGTH) or sum(c.isalpha() for c in value) < 2:
            return Turn(state.with_notice(Text.of("name.invalid")))
        return Turn(_checkout(ctx, replace(state, name=value)))

    def back(self, ctx, state):
        return state.go("cart")


class AddressStep(InputStep):
    def prompt(self, ctx, state):
        return (Text.of("address.ask"),)

    def accept(self, ctx, state, value):
        if not _valid_text(value, ADDRESS_LENGTH):
            return Turn(state.with_notice(Text.of("address.invalid")))
        return Turn(_checkout(ctx, replace(state, address=value)))

    def back(self, ctx, state):
        return state.go("name" if not ctx.caller.name else "cart")


class SummaryStep(ListStep):
    """The total (and a closed market's delivery time) on every page, then the lines."""

    numbered = False

    def head(self, ctx, state):
        market = ctx.catalog.market(state.market_id or 0)
        fee = market.delivery_fee if market else 0
        total = Money(cart_total(ctx, state.cart) + fee)
        head = (Text.of("summary.total", total=total, fee=Money(fee)),)
        if market and market.reopens_at:
            head += (Text.of("summary.later", when=When(market.reopens_at)),)
        return head

    def entries(self, ctx, state):
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

    def actions(self, ctx, state):
        return [
            ("1", Text.of("summary.confirm"), _confirm),
            ("2", Text.of("summary.change"), lambda c, s: Turn(s.go("cart"))),
        ]

    def back(self, ctx, state):
        return state.go("cart")


def _confirm(ctx: Context, state: MenuState) -> Turn:
    if not state.cart or state.market_id is None:
        return Turn(state.go("cart"))
    order = PlaceOrder(
        market_id=state.market_id,
        lines=state.cart,
        name=state.name or ctx.caller.name or "",
        address=state.address or ctx.caller.address or "",
    )
    return Turn(replace(state, notice=()), (order,))


class DoneStep(Step):
    def screen(self, ctx, state):
        return Screen(state.notice, end=True)

    def handle(self, ctx, state, value):
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
    "summary": SummaryStep(),
    "done": DoneStep(),
}


# ---------------------------------------------------------------- helpers


def _checkout(ctx: Context, state: MenuState) -> MenuState:
    """The next checkout screen: what we still need to know, then the summary."""
    if not (state.name or ctx.caller.name):
        return state.go("name")
    if not (state.address or ctx.caller.address):
        return state.go("address")
    return state.go("summary")


def _add_to_cart(cart: tuple[CartLine, ...], item_id: int, quantity: int) -> tuple[CartLine, ...]:
    for index, line in enumerate(cart):
        if line.item_id == item_id:
            merged = CartLine(item_id, line.quantity + quantity)
            return cart[:index] + (merged,) + cart[index + 1 :]
    return cart + (CartLine(item_id, quantity),)


def _available(ctx: Context, item_id: int) -> bool:
    item = ctx.catalog.item(item_id)
    return item is not None and item.available


def _item_name(ctx: Context, state: MenuState, item_id: int) -> str:
    item = ctx.catalog.item(item_id)
    return item.label(state.language) if item else "?"


def _names(ctx: Context, state: MenuState, item_ids: Sequence[int]) -> str:
    return ", ".join(_item_name(ctx, state, item_id) for item_id in item_ids)


def _unit(ctx: Context, item_id: int) -> Text:
    item = ctx.catalog.item(item_id)
    return Text.of(f"unit.{item.unit}") if item else Text.of("unit.buah")


def _line_amount(ctx: Context, line: CartLine) -> int:
    item = ctx.catalog.item(line.item_id)
    return item.price * line.quantity if item else 0


def _too_large_notice(ctx: Context, goods_total: int) -> Text:
    return Text.of("error.too_large", total=Money(goods_total), cap=Money(ctx.rules.goods_cap))


def _number(value: str, *, max_digits: int) -> int | None:
    """The value as a small whole number typed on a keypad (ASCII digits only), else None."""
    if value.isascii() and value.isdigit() and len(value) <= max_digits:
        return int(value)
    return None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _valid_text(value: str, length: tuple[int, int]) -> bool:
    """Typed text we can store and later send by SMS: right length, GSM-7, no control chars."""
    low, high = length
    return low <= len(value) <= high and is_gsm7(value) and not _CONTROL.search(value)
