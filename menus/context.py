"""What a menu step may look at besides the state, and what it may ask the caller to do."""

from __future__ import annotations

from dataclasses import dataclass, field

from menus.catalog import Caller, Catalog
from menus.screen import ChannelProfile
from menus.state import CartLine, MenuState
from voice_prompts import PromptCatalog, default_catalog


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
    address_recording_url: str | None = None


Effect = SaveLanguage | PlaceOrder


@dataclass(frozen=True)
class Turn:
    state: MenuState
    effects: tuple[Effect, ...] = ()
