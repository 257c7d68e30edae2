"""The kinds of menu step: a (paginated) list with actions, or a typed input."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from operator import itemgetter
from typing import Any, TypeVar, overload

from menus.context import Context, Turn
from menus.screen import ListLayout, Option, Screen, page_end, page_screen
from menus.state import MenuState
from voice_prompts import Text

Action = tuple[str, Text, Callable[[Context, MenuState], Turn]]
T = TypeVar("T")
R = TypeVar("R")


class Lazy(Sequence[R]):
    """`make(item)` for each of `items`, made only when asked for: a page shows a few entries
    of a list that may hold hundreds (a market's traders), so a hop costs the same."""

    def __init__(self, items: Sequence[T], make: Callable[[T], R]) -> None:
        self.items, self.make = items, make

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> R: ...

    @overload
    def __getitem__(self, index: slice) -> list[R]: ...

    def __getitem__(self, index: int | slice) -> R | list[R]:
        if isinstance(index, slice):
            return [self.make(item) for item in self.items[index]]
        return self.make(self.items[index])


class Step:
    """One kind of screen."""

    def screen(self, ctx: Context, state: MenuState) -> Screen:
        """What the caller sees in `state`."""
        raise NotImplementedError

    def handle(self, ctx: Context, state: MenuState, value: str) -> Turn:
        """The next state (and effects) after the caller's input `value`."""
        raise NotImplementedError


class ListStep(Step):
    """A screen with a (paginated) list and fixed actions."""

    numbered = True

    def head(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        """The lines above the list (a title, a total), shown on every page."""
        return ()

    def entries(self, ctx: Context, state: MenuState) -> Sequence[tuple[Text, Any]]:
        """The numbered entries: a label and the value `pick` gets when it is chosen."""
        return ()

    def actions(self, ctx: Context, state: MenuState) -> Sequence[Action]:
        """Fixed choices after the entries: a key, a label and what it does."""
        return ()

    def pick(self, ctx: Context, state: MenuState, value: Any) -> Turn:
        """The caller chose the entry whose value is `value`."""
        raise NotImplementedError

    def back(self, ctx: Context, state: MenuState) -> MenuState | None:
        """Where `0` (back) leads from here; None: this screen has no back."""
        return None

    def page_key(self, state: MenuState) -> tuple[Any, ...] | None:
        """What this list's layout depends on besides the catalog, the language, the channel
        and the page, when that is all (its pages are then sized once per catalog:
        `InMemoryCatalog.page_ends`); None: it depends on more (the caller, the basket)."""
        return None

    def _layout(self, ctx: Context, state: MenuState) -> tuple[ListLayout, Sequence[Any]]:
        entries = self.entries(ctx, state)
        layout = ListLayout(
            head=state.notice + self.head(ctx, state),
            entries=Lazy(entries, itemgetter(0)),
            numbered=self.numbered,
            actions=tuple(Option(key, label) for key, label, _ in self.actions(ctx, state)),
            can_go_back=self.back(ctx, state) is not None,
        )
        return layout, Lazy(entries, itemgetter(1))

    def _page(self, ctx: Context, state: MenuState):
        """The layout, the values of its entries, and the current page's [start, end)."""
        layout, values = self._layout(ctx, state)
        if state.page_start >= len(values) > 0:  # the list shrank under us: start over
            state = replace(state, page_starts=(), page_start=0)
        has_previous = bool(state.page_starts)
        ends = getattr(ctx.catalog, "page_ends", None)
        key = self.page_key(state)
        if ends is None or key is None or state.notice:  # a notice takes room on the page
            return layout, values, state, self._page_end(ctx, state, layout)
        key = (
            type(self),
            *key,
            ctx.profile,
            ctx.prompts,
            state.language,
            state.page_start,
            has_previous,
        )
        end = ends.get(key)
        if end is None:
            end = ends[key] = self._page_end(ctx, state, layout)
        return layout, values, state, end

    @staticmethod
    def _page_end(ctx: Context, state: MenuState, layout: ListLayout) -> int:
        return page_end(
            layout,
            state.page_start,
            has_previous=bool(state.page_starts),
            profile=ctx.profile,
            prompts=ctx.prompts,
            lang=state.language,
        )

    def screen(self, ctx: Context, state: MenuState) -> Screen:
        layout, _, state, end = self._page(ctx, state)
        return page_screen(
            layout, state.page_start, end, has_previous=bool(state.page_starts), profile=ctx.profile
        )

    def handle(self, ctx: Context, state: MenuState, value: str) -> Turn:
        _, values, state, end = self._page(ctx, state)
        profile = ctx.profile
        if value == profile.next_key and end < len(values):
            return Turn(state.next_page(end))
        if value == profile.back_key:
            if state.page_starts:
                return Turn(state.previous_page())
            previous = self.back(ctx, state)
            if previous is not None:
                return Turn(previous)
        for key, _, action in self.actions(ctx, state):
            if value == key:
                return action(ctx, state)
        number = keypad_number(value, max_digits=2)
        if self.numbered and number is not None:
            index = state.page_start + number - 1
            if state.page_start <= index < end:
                return self.pick(ctx, state, values[index])
        return Turn(state.with_notice(Text.of("error.unknown_option")))


class InputStep(Step):
    """A screen that asks for a number or a text."""

    expects = "text"

    def prompt(self, ctx: Context, state: MenuState) -> tuple[Text, ...]:
        """What the caller is asked."""
        raise NotImplementedError

    def accept(self, ctx: Context, state: MenuState, value: str) -> Turn:
        """The caller's answer `value` (anything but the back key)."""
        raise NotImplementedError

    def back(self, ctx: Context, state: MenuState) -> MenuState:
        """Where `0` (back) leads from here."""
        raise NotImplementedError

    def screen(self, ctx: Context, state: MenuState) -> Screen:
        back = Option(ctx.profile.back_key, Text.of("nav.back"))
        return Screen(state.notice + self.prompt(ctx, state), (back,), expects=self.expects)

    def handle(self, ctx: Context, state: MenuState, value: str) -> Turn:
        if value == ctx.profile.back_key:
            return Turn(self.back(ctx, state))
        return self.accept(ctx, state, value)


def keypad_number(value: str, *, max_digits: int) -> int | None:
    """The value as a small whole number typed on a keypad (ASCII digits only), else None."""
    if value.isascii() and value.isdigit() and len(value) <= max_digits:
        return int(value)
    return None
