"""Every voice menu in the demo catalog keeps the 5-option rule, in every language, and speaks."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy.orm import Session

from conversations.catalog_loader import load_catalog
from conversations.menu_turns import VoiceReply
from domain.orders.rules import OrderRules
from menus import engine
from menus.engine import Context
from menus.screen import VOICE, Screen
from menus.state import MenuState
from providers.voice import utterances
from tests.conftest import MARKET_CLOSED
from tests.menu_walk import callers, walk
from voice_prompts import LANGUAGES, default_catalog

pytestmark = pytest.mark.sqlite_only

MAX_OPTIONS = 5
VOICE_ONLY_KEYS = {"0", "#"}  # a person, and "say it again": handled before the menus


def keeps_the_voice_rules(ctx: Context, state: MenuState, screen: Screen) -> None:
    """At most 5 options; keys a keypad has; never 0 or # (kept for a person and repeat)."""
    keys = [option.key for option in screen.options]
    assert len(keys) <= MAX_OPTIONS, (state.step, keys)
    assert all(len(key) == 1 and key in "123456789*" for key in keys), keys
    assert not VOICE_ONLY_KEYS & set(keys)
    if screen.expects == "text":
        raise AssertionError(f"a voice caller was asked to type ({state.step})")
    reply = VoiceReply(screen, state.language, next_step=1, hint=True)
    for utterance in utterances(reply, ctx.prompts):  # every prompt can be spoken
        assert utterance.speech.strip() and "{" not in utterance.speech


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_voice_menu_has_at_most_five_options(db: Session, language: str):
    catalog = load_catalog(db, MARKET_CLOSED)
    screens = 0
    for caller in callers(catalog).values():
        caller = replace(caller, language=caller.language and language, address=None)
        ctx = Context(
            catalog=catalog,
            caller=caller,
            profile=VOICE,
            rules=OrderRules(),
            default_language=language,
            prompts=default_catalog(),
        )
        screens += walk(ctx, engine.start(ctx), check=keeps_the_voice_rules)
    assert screens > 500


def test_the_longest_list_is_cut_into_pages_behind_nine(db: Session):
    catalog = load_catalog(db, MARKET_CLOSED)
    ctx = Context(
        catalog=catalog, caller=callers(catalog)["new"], profile=VOICE, rules=OrderRules()
    )
    state = engine.start(ctx).go("item", vendor_id=catalog.vendors(1)[0].id)  # Bu Komang: 5 items
    first = engine.screen(ctx, state)
    assert [o.key for o in first.options] == ["1", "2", "3", "9", "*"]
    second = engine.screen(ctx, engine.handle(ctx, state, "9").state)
    assert [o.key for o in second.options] == ["1", "2", "*"]
