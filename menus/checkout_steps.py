"""The steps from the basket to the closing screen: basket, remove, name, address, summary.

Back (`0`) from the basket, name, address and summary goes back to the basket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from menus.basket import (
    cart_total,
    item_name,
    quote_basket,
    to_summary,
    unit_text,
)
from menus.catalog import still_on_its_way
from menus.context import Context, PlaceOrder, Turn
from menus.customer_details import valid_address, valid_name
from menus.screen import Screen
from menus.state import MenuState, Quoted
from menus.step_kinds import Action, InputStep, ListStep, Step
from voice_prompts import Money, Text, When


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
            actions.append(
                ("3", Text.of("cart.checkout"), lambda c, s: Turn(next_checkout_step(c, s)))
            )
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
                    name=item_name(ctx, state, line.item_id),
                    quantity=line.quantity,
                    unit=unit_text(ctx, line.item_id),
                ),
                index,
            )
            for index, line in enumerate(state.cart)
        ]

    def pick(self, ctx: Context, state: MenuState, index: int) -> Turn:
        line = state.cart[index]
        cart = state.cart[:index] + state.cart[index + 1 :]
        notice = Text.of("cart.removed", name=item_name(ctx, state, line.item_id))
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
        return Turn(next_checkout_step(ctx, replace(state, name=value)))

    def back(self, ctx: Context, state: MenuState) -> MenuState:
        return state.go("cart")


class AddressStep(InputStep):
    """Where to deliver: banjar, desa and a landmark, typed (text channels)."""

    def prompt(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        return (Text.of("address.ask"),)

    def accept(self, ctx: Context, state: MenuState, value: str) -> Turn:
        if not valid_address(value):
            return Turn(state.with_notice(Text.of("address.invalid")))
        return Turn(next_checkout_step(ctx, replace(state, address=value)))

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
        return Turn(next_checkout_step(ctx, replace(state, address_recording=value)))

    def back(self, ctx: Context, state: MenuState) -> MenuState:
        return state.go("cart")


class SummaryStep(ListStep):
    """The total (and a closed market's delivery time) on every page, then the lines.

    Its prices are the ones stated when the summary was first shown (`state.quoted`), on
    every page and at the confirmation: what it said is what is charged.
    """

    numbered = False

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        quoted = _quoted(ctx, state)
        fee = quoted.delivery_fee
        total = Money(quoted.goods_total(state.cart) + fee)
        head: tuple[Text, ...] = (Text.of("summary.total", total=total, fee=Money(fee)),)
        market = ctx.catalog.market(state.market_id or 0)
        if market and market.reopens_at:
            head += (Text.of("summary.later", when=When(market.reopens_at, market.timezone)),)
        return head

    def entries(self, ctx: Context, state: MenuState) -> Sequence[tuple[Text, Any]]:
        quoted = _quoted(ctx, state)
        return [
            (
                Text.of(
                    "summary.line",
                    name=item_name(ctx, state, line.item_id),
                    quantity=line.quantity,
                    unit=unit_text(ctx, line.item_id),
                    amount=Money(quoted.unit_price(line.item_id) * line.quantity),
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


class CallbackStep(SummaryStep):
    """A call back after a missed call: the last order read out, then one key to order it.

    "Halo Ni Made Sari, ini Telepasar menelepon balik. Pesanan terakhir Anda: ..." with its
    total and lines as the summary states them (the prices kept for the confirmation); one
    for the order, two for a person. An order still on its way is said first.
    """

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        name = ctx.caller.name
        greeting = (
            Text.of("callback.greeting", name=name)
            if name
            else Text.of("callback.greeting_anonymous")
        )
        still = ()
        if order := ctx.caller.open_order:
            still = (still_on_its_way(order.number, order.total),)
        return (*still, greeting, *super().head(ctx, state))

    def actions(self, ctx: Context, state: MenuState) -> Sequence[Action]:
        return [
            ("1", Text.of("callback.again"), _confirm),
            ("2", Text.of("callback.person"), lambda c, s: Turn(s.go("person"))),
        ]

    def back(self, ctx: Context, state: MenuState) -> MenuState | None:
        return None


class PersonStep(Step):
    """The caller asked for a person: the channel puts the call through."""

    def screen(self, ctx: Context, state: MenuState) -> Screen:
        return Screen((Text.of("voice.operator"),), end=True)

    def handle(self, ctx: Context, state: MenuState, value: str) -> Turn:
        return Turn(state)


def _quoted(ctx: Context, state: MenuState) -> Quoted:
    """The prices the summary states (today's, for a state saved before they were kept)."""
    return state.quoted or quote_basket(ctx, state)


def _confirm(ctx: Context, state: MenuState) -> Turn:
    if not state.cart or state.market_id is None:
        return Turn(state.go("cart"))
    if state.quoted is None:  # saved before prices were kept: state them first
        return Turn(to_summary(ctx, state))
    order = PlaceOrder(
        market_id=state.market_id,
        lines=state.cart,
        quoted=state.quoted,
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


def next_checkout_step(ctx: Context, state: MenuState) -> MenuState:
    """The next checkout screen: what we still need to know, then the summary.

    A caller who cannot type (voice) says their name and address in one recording instead.
    """
    if state.address or state.address_recording or ctx.caller.has_address:
        if state.name or ctx.caller.name or not ctx.profile.text_input:
            return to_summary(ctx, state)
    if not ctx.profile.text_input:
        return state.go("record")
    if not (state.name or ctx.caller.name):
        return state.go("name")
    if not (state.address or ctx.caller.has_address):
        return state.go("address")
    return to_summary(ctx, state)
