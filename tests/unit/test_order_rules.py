"""The order rules, defined once in domain/orders/rules.py and asked by every channel."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.orders.errors import (
    BadQuantity,
    EmptyOrder,
    ItemUnavailable,
    MixedMarkets,
    OrderTooLarge,
)
from domain.orders.rules import Goods, OrderRules
from menus import engine
from menus.state import CartLine, MenuState
from tests.factories import make_context

TOMATO = Goods(market_id=1, price=14_000, available=True, name="Tomat")
EGGS = Goods(market_id=1, price=2_000, available=True, name="Telur")
SOLD_OUT = Goods(market_id=1, price=5_000, available=False, name="Bayam")
ELSEWHERE = Goods(market_id=2, price=3_000, available=True, name="Garam")
GOODS = {1: TOMATO, 2: EGGS, 3: SOLD_OUT, 4: ELSEWHERE}


def test_lines_of_one_item_are_merged_in_first_seen_order():
    assert OrderRules.merge([(2, 1), (1, 2), (2, 3)]) == {2: 4, 1: 2}
    assert list(OrderRules.merge([(2, 1), (1, 2), (2, 3)])) == [2, 1]


@pytest.mark.parametrize("quantity, ok", [(0, False), (1, True), (50, True), (51, False)])
def test_a_quantity_is_one_to_fifty_units(quantity, ok):
    assert OrderRules().quantity_ok(quantity) is ok


def test_a_good_order_passes_and_gives_its_goods_total():
    assert OrderRules().check({1: 2, 2: 10}, GOODS) == 48_000


@pytest.mark.parametrize(
    "quantities, error",
    [
        ({}, EmptyOrder),
        ({1: 0}, BadQuantity),
        ({1: 51}, BadQuantity),
        ({1: 1, 3: 1}, ItemUnavailable),
        ({1: 1, 99: 1}, ItemUnavailable),  # no longer in the catalog
        ({1: 1, 4: 1}, MixedMarkets),
        ({1: 22}, OrderTooLarge),  # Rp308.000 > Rp300.000
    ],
)
def test_each_broken_rule_is_named(quantities, error):
    with pytest.raises(error):
        OrderRules().check(quantities, GOODS)


def test_the_first_rule_broken_is_the_one_told():
    with pytest.raises(BadQuantity):  # before the sold-out item and the other market
        OrderRules().check({1: 60, 3: 1, 4: 1}, GOODS)
    with pytest.raises(ItemUnavailable) as unavailable:
        OrderRules().check({3: 1, 4: 1}, GOODS)
    assert unavailable.value.names == ("Bayam",)


def test_the_menus_ask_the_same_rules():
    """A stricter deployment is stricter in the menus too, with nothing else changed."""
    ctx = replace(make_context(), rules=OrderRules(goods_cap=20_000, max_quantity=3))
    item = next(i for i in ctx.catalog.item_list if i.available and i.price <= 5_000)
    state = MenuState(step="quantity", market_id=item.market_id, item_id=item.id)

    four = engine.handle(ctx, state, "4").state
    assert four.cart == () and four.notice[0].key == "quantity.invalid"
    three = engine.handle(ctx, state, "3").state
    assert three.cart == (CartLine(item.id, 3),)
