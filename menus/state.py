"""The state of one menu conversation: where the caller is and what is in the basket.

It is plain data, saved as JSON in the `conversations` table between two key presses.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from voice_prompts import Text


@dataclass(frozen=True)
class CartLine:
    item_id: int
    quantity: int


@dataclass(frozen=True)
class Quoted:
    """The prices a summary stated: the delivery fee and each basket item's unit price.

    Kept from the moment the summary is shown until the caller confirms it, so that what
    the summary said is what is charged (`PlaceOrder.quoted`).
    """

    delivery_fee: int
    unit_prices: tuple[tuple[int, int], ...]  # (item id, unit price), one per basket line

    def unit_price(self, item_id: int) -> int:
        return dict(self.unit_prices).get(item_id, 0)

    def goods_total(self, cart: tuple[CartLine, ...]) -> int:
        return sum(self.unit_price(line.item_id) * line.quantity for line in cart)


@dataclass(frozen=True)
class MenuState:
    """Where a caller is in the menus. `notice` is shown once above the next screen.

    `page_starts` holds where each earlier page of the current list began, so that `98` and
    `0` move exactly one page of what the caller saw, whatever notice stood above it.
    """

    step: str = "language"
    language: str = "id"
    page_starts: tuple[int, ...] = ()
    page_start: int = 0
    market_id: int | None = None
    vendor_id: int | None = None
    item_id: int | None = None
    pending_market_id: int | None = None
    pending_order: str | None = None  # "repeat" or "new", asked again over an open order
    cart: tuple[CartLine, ...] = ()
    name: str | None = None
    address: str | None = None
    address_recording: str | None = None  # a voice caller's spoken name and address (URL)
    quoted: Quoted | None = None  # what the summary stated, once it was shown
    notice: tuple[Text, ...] = ()
    resume: dict[str, Any] | None = field(default=None, compare=False)

    def go(self, step: str, **changes: Any) -> MenuState:
        """The state after moving to `step`: first page, no notice unless one is given."""
        changes.setdefault("notice", ())
        return replace(self, step=step, page_starts=(), page_start=0, **changes)

    def next_page(self, start: int) -> MenuState:
        """The next page of the same list, beginning at entry `start`."""
        starts = (*self.page_starts, self.page_start)
        return replace(self, page_starts=starts, page_start=start, notice=())

    def previous_page(self) -> MenuState:
        """The page before this one (only when there is one)."""
        *starts, start = self.page_starts
        return replace(self, page_starts=tuple(starts), page_start=start, notice=())

    def with_notice(self, *notice: Text) -> MenuState:
        """The same screen again, with a line of explanation above it."""
        return replace(self, notice=tuple(notice))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        quoted = self.quoted
        return {  # by hand: dataclasses.asdict deep-copies every value, on every hop
            "step": self.step,
            "language": self.language,
            "page_starts": list(self.page_starts),
            "page_start": self.page_start,
            "market_id": self.market_id,
            "vendor_id": self.vendor_id,
            "item_id": self.item_id,
            "pending_market_id": self.pending_market_id,
            "pending_order": self.pending_order,
            "cart": [[line.item_id, line.quantity] for line in self.cart],
            "name": self.name,
            "address": self.address,
            "address_recording": self.address_recording,
            "quoted": None
            if quoted is None
            else {
                "delivery_fee": quoted.delivery_fee,
                "unit_prices": [list(price) for price in quoted.unit_prices],
            },
            "notice": [text.to_dict() for text in self.notice],
            "resume": self.resume,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MenuState:
        """The inverse of `to_dict`; unknown keys from older versions are ignored."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["cart"] = tuple(CartLine(int(i), int(q)) for i, q in data.get("cart", ()))
        known["notice"] = tuple(Text.from_dict(t) for t in data.get("notice", ()))
        known["page_starts"] = tuple(int(start) for start in data.get("page_starts", ()))
        if quoted := data.get("quoted"):
            prices = tuple((int(i), int(price)) for i, price in quoted["unit_prices"])
            known["quoted"] = Quoted(int(quoted["delivery_fee"]), prices)
        return cls(**known)
