"""A page of a long list is measured from the few entries it can hold, not the whole list."""

from __future__ import annotations

from menus.screen import USSD, ListLayout, page_end
from voice_prompts import Text, default_catalog


class CountingPrompts:
    """The real prompt catalog, counting what it is asked to render."""

    def __init__(self) -> None:
        self.catalog = default_catalog()
        self.rendered = 0

    def render(self, text: Text, lang: str) -> str:
        self.rendered += 1
        return self.catalog.render(text, lang)


def layout(traders: int) -> ListLayout:
    return ListLayout(
        head=(Text.of("vendor.title", market="Pasar Amlapura Barat"),),
        entries=tuple(
            Text.of("vendor.option", name=f"Bu Komang {n}", category=Text.of("category.sayur"))
            for n in range(traders)
        ),
        numbered=True,
        actions=(),
        can_go_back=True,
    )


def test_the_same_page_and_the_same_work_with_6_or_600_traders():
    few, many = CountingPrompts(), CountingPrompts()
    ends = [
        page_end(layout(6), 0, has_previous=False, profile=USSD, prompts=few, lang="id"),
        page_end(layout(600), 0, has_previous=False, profile=USSD, prompts=many, lang="id"),
    ]
    assert ends[0] == min(6, ends[1]) and ends[1] < 10
    assert many.rendered <= few.rendered + 2  # the page's entries and the one that did not fit


def test_a_catalogs_lists_are_sized_once_and_page_the_same_as_when_sized_afresh(monkeypatch):
    """The traders' and items' lists depend on the catalog alone: their pages are sized once
    per catalog (language, channel, page) and kept, and page exactly as when sized anew."""
    import menus.step_kinds
    from menus import engine
    from tests.factories import make_catalog, make_context

    def walk(ctx) -> list[str]:
        state = engine.start(ctx).go("vendor", market_id=1)
        screens = []
        for _ in range(12):  # next page until the list ends, then back again
            screens.append(engine.render(ctx, state))
            state = engine.handle(ctx, state, "98" if len(screens) < 6 else "0").state
        return screens

    sized = []
    real = menus.step_kinds.page_end
    monkeypatch.setattr(
        menus.step_kinds, "page_end", lambda *a, **k: sized.append(1) or real(*a, **k)
    )
    catalog = make_catalog(vendors_per_market=30)
    first = walk(make_context(catalog=catalog))
    once = len(sized)
    again = walk(make_context(catalog=catalog))
    assert len(sized) == once  # the same catalog: no list sized twice
    assert again == first
    fresh = walk(make_context(catalog=make_catalog(vendors_per_market=30)))
    assert fresh == first and len(sized) > once  # a new catalog sizes them anew, the same
    assert len({screen.split("\n")[1] for screen in first}) > 3  # it did page through
