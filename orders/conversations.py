"""Runs menu conversations: state from storage -> menus -> effects (orders) -> state to storage.

One function per channel protocol; every call is one unit of work on the caller's session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from menus import engine
from menus.engine import Context, PlaceOrder, Rules, SaveLanguage
from menus.screen import USSD
from menus.state import MenuState
from menus.ussd import new_inputs
from orders.catalog import load_caller, load_catalog
from orders.customers import remember_language
from orders.errors import EmptyOrder, ItemUnavailable, MixedMarkets, OrderTooLarge
from orders.service import OrderLineRequest, place_order
from storage import queries
from storage.models import Conversation

RESUME_WINDOW = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Reply:
    """What to show the caller; `end` closes the session."""

    text: str
    end: bool


def ussd_turn(
    session: Session,
    *,
    session_id: str,
    phone: str,
    text: str,
    rules: Rules,
    default_language: str,
    now: dt.datetime,
) -> Reply:
    """Answer one Africa's Talking USSD request (`text` is the whole input history)."""
    convo = queries.conversation(session, "ussd", session_id)
    if convo is not None and text == convo.last_input:
        return Reply(convo.last_reply, convo.status == "done")  # a repeat: same screen
    ctx = Context(
        catalog=load_catalog(session, now),
        caller=load_caller(session, phone),
        profile=USSD,
        rules=rules,
        default_language=default_language,
    )
    if convo is None:
        state = engine.start(ctx, _take_resumable(session, "ussd", phone, now))
        convo = Conversation(channel="ussd", session_key=session_id, phone=phone, created_at=now)
        session.add(convo)
        inputs = new_inputs(None, text)
    else:
        state = MenuState.from_dict(convo.state)
        inputs = new_inputs(convo.last_input, text)
    for value in inputs:
        ctx, state = _apply(session, ctx, state, value, now)
    reply = Reply(engine.render(ctx, state), end=state.step == "done")
    convo.state = state.to_dict()
    convo.last_input = text
    convo.last_reply = reply.text
    convo.status = "done" if reply.end else "active"
    convo.updated_at = now
    return reply


def _apply(
    session: Session, ctx: Context, state: MenuState, value: str, now: dt.datetime
) -> tuple[Context, MenuState]:
    """One input through the engine, then whatever it asks us to do."""
    turn = engine.handle(ctx, state, value)
    state = turn.state
    for effect in turn.effects:
        if isinstance(effect, SaveLanguage):
            remember_language(session, ctx.caller.phone, effect.language)
            ctx = replace(ctx, caller=replace(ctx.caller, language=effect.language))
        elif isinstance(effect, PlaceOrder):
            state = _place(session, ctx, state, effect, now)
    return ctx, state


def _place(
    session: Session, ctx: Context, state: MenuState, order: PlaceOrder, now: dt.datetime
) -> MenuState:
    """Place the order; a refusal becomes a notice on the screen the caller can act on."""
    try:
        placed = place_order(
            session,
            phone=ctx.caller.phone,
            lines=[OrderLineRequest(line.item_id, line.quantity) for line in order.lines],
            name=order.name,
            address=order.address,
            address_recording_url=order.address_recording_url,
            channel=ctx.profile.name,
            goods_cap=ctx.rules.goods_cap,
            language=state.language,
            now=now,
            prompts=ctx.prompts,
        )
    except ItemUnavailable as exc:
        return engine.items_unavailable(ctx, state, exc.item_ids)
    except OrderTooLarge as exc:
        return engine.order_too_large(ctx, state, exc.goods_total)
    except (EmptyOrder, MixedMarkets):
        return state.go("cart")
    return engine.order_placed(
        state, number=placed.number, total=placed.total, reopens_at=placed.deliver_after
    )


def _take_resumable(
    session: Session, channel: str, phone: str, now: dt.datetime
) -> MenuState | None:
    """A recent unfinished basket of this caller, offered once (its old session is closed)."""
    convo = queries.resumable_conversation(
        session, channel=channel, phone=phone, since=now - RESUME_WINDOW
    )
    if convo is None:
        return None
    convo.status = "replaced"
    state = MenuState.from_dict(convo.state)
    return state if state.cart and state.step != "done" else None
