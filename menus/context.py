"""What a menu step may look at besides the state, and what it may ask the caller to do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from menus.catalog import Caller, Catalog
from menus.screen import ChannelProfile
from menus.state import CartLine, MenuState, Quoted
from voice_prompts import PromptCatalog, default_catalog


class BasketRules(Protocol):
    """The order rules the menus ask before an order is placed.

    Defined once in `domain.orders.rules.OrderRules`, which the conversation layer hands in: the
    menus never import `domain/`.
    """

    @property
    def goods_cap(self) -> int: ...

    @property
    def max_quantity(self) -> int: ...

    def merge(self, lines: Iterable[tuple[int, int]]) -> dict[int, int]: ...

    def quantity_ok(self, quantity: int) -> bool: ...

    def available(self, goods: Any) -> bool: ...

    def within_cap(self, goods_total: int) -> bool: ...


@dataclass(frozen=True)
class Context:
    """Everything a step may look at besides the state: read-only."""

    catalog: Catalog
    caller: Caller
    profile: ChannelProfile
    rules: BasketRules
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
    quoted: Quoted  # what the summary stated: charged exactly, or nothing is placed
    name: str
    address: str
    address_recording_url: str | None = None


Effect = SaveLanguage | PlaceOrder


@dataclass(frozen=True)
class Turn:
    state: MenuState
    effects: tuple[Effect, ...] = ()
