"""Every step of the ordering menus, by name, from the language choice to the closing screen.

The steps that fill the basket are in `browse_steps.py`, the ones from the basket to the
end in `checkout_steps.py`, what both know of a basket in `basket.py`.
"""

from __future__ import annotations

from menus.basket import cart_total, item_names, too_large_notice
from menus.browse_steps import (
    AgainStep,
    HomeStep,
    ItemStep,
    LanguageStep,
    MarketStep,
    QuantityStep,
    ResumeStep,
    SwitchMarketStep,
    VendorStep,
    main_menu,
    repeat_last_order,
)
from menus.checkout_steps import (
    AddressStep,
    CallbackStep,
    CartStep,
    DoneStep,
    NameStep,
    PersonStep,
    RecordStep,
    RemoveStep,
    SummaryStep,
)
from menus.step_kinds import Step

__all__ = [
    "STEPS",
    "cart_total",
    "item_names",
    "main_menu",
    "repeat_last_order",
    "too_large_notice",
]

STEPS: dict[str, Step] = {
    "language": LanguageStep(),
    "resume": ResumeStep(),
    "home": HomeStep(),
    "again": AgainStep(),
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
    "callback": CallbackStep(),
    "person": PersonStep(),
}
