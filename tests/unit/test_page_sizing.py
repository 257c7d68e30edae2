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
