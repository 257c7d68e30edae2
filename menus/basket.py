"""What the menu steps know of a basket: its lines, totals, names and the rules' notices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from menus.catalog import ItemInfo
from menus.context import Context
from menus.state import CartLine, MenuState, Quoted
from voice_prompts import Money, Text


def cart_total(ctx: Context, cart: Sequence[CartLine]) -> int:
    """The goods total of a basket at today's prices."""
    return sum(line_amount(ctx, line) for line in cart)


def add_to_cart(
    ctx: Context, cart: tuple[CartLine, ...], item_id: int, quantity: int
) -> tuple[CartLine, ...]:
    """The basket with `quantity` more of the item (one line per item, as the rules merge)."""
    lines = [(line.item_id, line.quantity) for line in cart] + [(item_id, quantity)]
    return tuple(CartLine(i, q) for i, q in ctx.rules.merge(lines).items())


def priced(item: ItemInfo, lang: str) -> dict[str, Text | Money | str]:
    """The name, price and unit of an item, as prompt parameters."""
    return {
        "name": item.label(lang),
        "price": Money(item.price),
        "unit": Text.of(f"unit.{item.unit}"),
    }


def available(ctx: Context, item_id: int) -> bool:
    return ctx.rules.available(ctx.catalog.item(item_id))


def item_name(ctx: Context, state: MenuState, item_id: int) -> str:
    item = ctx.catalog.item(item_id)
    return item.label(state.language) if item else "?"


def item_names(ctx: Context, state: MenuState, item_ids: Sequence[int]) -> str:
    return ", ".join(item_name(ctx, state, item_id) for item_id in item_ids)


def unit_text(ctx: Context, item_id: int) -> Text:
    item = ctx.catalog.item(item_id)
    return Text.of(f"unit.{item.unit}") if item else Text.of("unit.buah")


def line_amount(ctx: Context, line: CartLine) -> int:
    item = ctx.catalog.item(line.item_id)
    return item.price * line.quantity if item else 0


def too_large_notice(ctx: Context, goods_total: int) -> Text:
    return Text.of("error.too_large", total=Money(goods_total), cap=Money(ctx.rules.goods_cap))


def quote_basket(ctx: Context, state: MenuState) -> Quoted:
    """The basket's prices and the market's delivery fee, as they are now."""
    market = ctx.catalog.market(state.market_id or 0)
    prices = []
    for line in state.cart:
        item = ctx.catalog.item(line.item_id)
        prices.append((line.item_id, item.price if item else 0))
    return Quoted(market.delivery_fee if market else 0, tuple(prices))


def to_summary(ctx: Context, state: MenuState, **changes: object) -> MenuState:
    """The summary of the basket, its prices stated now and kept for the confirmation.

    Every way into the summary goes through here: what it shows is `state.quoted`.
    """
    state = state.go("summary", **changes)
    return replace(state, quoted=quote_basket(ctx, state))
