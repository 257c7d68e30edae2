"""Runs menu conversations: state from storage -> menus -> effects (orders) -> state to storage.

One function per channel protocol; every call is one unit of work on the caller's session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from conversations import queries
from conversations.catalog_loader import hop_catalog, load_caller, load_catalog
from domain.orders.customers import remember_language
from domain.orders.errors import (
    EmptyOrder,
    ItemUnavailable,
    MixedMarkets,
    OrderTooLarge,
    PriceChanged,
)
from domain.orders.rules import OrderRules
from domain.orders.service import AgreedPrices, OrderLineRequest, place_order
from menus import engine
from menus.catalog import Caller, LastOrder, OpenOrder
from menus.engine import Context, PlaceOrder, SaveLanguage
from menus.screen import SMS_MENU, USSD, VOICE, ChannelProfile, Screen
from menus.state import MenuState
from menus.ussd import new_inputs
from storage.database import HopReads, HopWrite
from storage.db import MustBeDurable
from storage.driver import Prepared
from storage.models import Conversation

RESUME_WINDOW = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Reply:
    """What to show the caller; `end` closes the session."""

    text: str
    end: bool


@dataclass(frozen=True)
class UssdRequest:
    """One Africa's Talking USSD request: `text` is the whole input history."""

    session_id: str
    phone: str
    text: str
    rules: OrderRules
    default_language: str
    now: dt.datetime


def ussd_turn(session: Session, request: UssdRequest) -> Reply:
    """Answer one USSD request in one durable unit of work that writes whatever the hop
    does (an order, a customer)."""
    return _written_now(session, *_ussd(HopReads.of(session), request))


def ussd_hop(reads: HopReads, request: UssdRequest) -> tuple[Reply, HopWrite | None]:
    """The same answer worked out from reads alone (`Database.hop`): the reply and the one
    write of its conversation, to be made after, conditional on the version read. A hop that
    must write anything else (a language saved, an order, a resumed basket) raises
    MustBeDurable, and is answered by `ussd_turn` instead."""
    return _ussd(reads, request, relaxed=True)


def _ussd(
    reads: HopReads, request: UssdRequest, *, relaxed: bool = False
) -> tuple[Reply, HopWrite | None]:
    session_id, phone, text, now = request.session_id, request.phone, request.text, request.now
    rules, default_language = request.rules, request.default_language
    version, convo = queries.hop_row(reads, "ussd", session_id)
    if convo is not None and text == convo.last_input:
        return Reply(convo.last_reply, convo.status == "done"), None  # a repeat: same screen
    inputs = new_inputs(convo.last_input if convo else None, text)
    saved_step = convo.state.get("step") if convo else None
    # Typed ahead (several inputs at once), a hop may pass the main menu: read it then too.
    open_order = convo is None or len(inputs) > 1 or engine.reads_open_order(saved_step)
    # The caller as this session saw them, on a hop that only moves through the menus; a
    # hop that places an order or saves anything reads them again (a corrected address).
    known = None if convo is None or not relaxed else convo.state.get(CALLER_KEY)
    ctx = _context(
        reads,
        version,
        phone,
        USSD,
        rules,
        default_language,
        now,
        open_order=open_order,
        known=known,
    )
    if convo is None:
        old = _resumable(reads, "ussd", phone, now)
        if old is not None and relaxed:
            raise MustBeDurable  # offering a basket closes its old session: a write
        if old is not None:
            queries.mark_replaced(reads.session, old.id, old.version)  # offered once
        state = engine.start(ctx, old.state if old is not None else None)
    else:
        state = MenuState.from_dict(convo.state)
    for value in inputs:
        ctx, state = _apply(reads, ctx, state, value, now, relaxed=relaxed)
    reply = Reply(engine.render(ctx, state), end=state.step == "done")
    where = ("ussd", session_id, phone, convo)
    return reply, conversation_write(
        *where, ctx, state, now, last_input=text, last_reply=reply.text
    )


_CONVERSATIONS = Conversation.__table__
_WRITTEN = ("state", "last_input", "last_reply", "status", "updated_at")
# A hop's one write, prepared once.
NEW_CONVERSATION = Prepared(
    insert(_CONVERSATIONS).values(
        version=1,
        **{
            name: bindparam(name)
            for name in ("channel", "session_key", "phone", "created_at", *_WRITTEN)
        },
    )
)
MOVE_CONVERSATION = Prepared(
    update(_CONVERSATIONS)
    .where(
        _CONVERSATIONS.c.id == bindparam("id_read"),
        _CONVERSATIONS.c.version == bindparam("version_read"),
    )
    .values(version=_CONVERSATIONS.c.version + 1, **{name: bindparam(name) for name in _WRITTEN})
)


def conversation_write(
    channel: str,
    session_key: str,
    phone: str,
    read: queries.ConversationRow | None,
    ctx: Context,
    state: MenuState,
    now: dt.datetime,
    *,
    last_input: str = "",
    last_reply: str = "",
    **channel_state: Any,
) -> HopWrite:
    """The conversation `read` (None: a new one) moved on to `state`, with the caller as the
    hop knew them and what the channel adds (a call's turn): one INSERT, or one UPDATE of
    the version read. A concurrent request of the same session makes it touch no row (or
    fail, IntegrityError), and the hop is answered again from what that request wrote."""
    values = {
        "state": {**state.to_dict(), **channel_state, CALLER_KEY: caller_dict(ctx.caller)},
        "last_input": last_input,
        "last_reply": last_reply,
        "status": _status(state),
        "updated_at": now,
    }
    if read is None:
        new = {"channel": channel, "session_key": session_key, "phone": phone, "created_at": now}
        return HopWrite(NEW_CONVERSATION, {**new, **values}, conditional=False)
    moved = {"id_read": read.id, "version_read": read.version, **values}
    return HopWrite(MOVE_CONVERSATION, moved, conditional=True)


def _written_now(session: Session, answer: Any, write: HopWrite | None) -> Any:
    """A durable turn: its conversation written in the same unit of work as the rest."""
    if write is not None:
        write.apply_to(session)
    return answer


def _context(
    reads: HopReads,
    version: int | None,
    phone: str,
    profile: ChannelProfile,
    rules: OrderRules,
    default_language: str,
    now: dt.datetime,
    *,
    open_order: bool = False,
    known: dict[str, Any] | None = None,
) -> Context:
    """What the menus may know for this caller on this channel, now (at a session's start
    and on the screens that ask about it, also the order they have on its way).

    `known`: the caller as this session last saw them (kept in the conversation), read
    again only where the order on its way is asked about: a hop through the menus reads no
    customer and no last order."""
    caller = caller_from(known) if known and not open_order else None
    return Context(
        catalog=(
            load_catalog(reads.session, now)
            if version is None
            else hop_catalog(reads, version, now)
        ),
        caller=caller or load_caller(reads, phone, open_order=open_order),
        profile=profile,
        rules=rules,
        default_language=default_language,
    )


def _apply(
    reads: HopReads,
    ctx: Context,
    state: MenuState,
    value: str,
    now: dt.datetime,
    *,
    relaxed: bool = False,
) -> tuple[Context, MenuState]:
    """One input through the engine, then whatever it asks us to do (`relaxed`: nothing,
    or MustBeDurable: what it asks for is a write that must survive)."""
    turn = engine.handle(ctx, state, value)
    if relaxed and turn.effects:
        raise MustBeDurable
    state = turn.state
    for effect in turn.effects:
        session = reads.session
        if isinstance(effect, SaveLanguage):
            remember_language(session, ctx.caller.phone, effect.language, now=now)
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
            rules=ctx.rules,
            language=state.language,
            now=now,
            prompts=ctx.prompts,
            agreed=AgreedPrices(dict(order.quoted.unit_prices), order.quoted.delivery_fee),
        )
    except ItemUnavailable as exc:
        return engine.items_unavailable(ctx, state, exc.item_ids)
    except PriceChanged as exc:
        return engine.prices_changed(ctx, state, exc.item_ids)
    except OrderTooLarge as exc:
        return engine.order_too_large(ctx, state, exc.goods_total)
    except (EmptyOrder, MixedMarkets):
        return state.go("cart")
    return engine.order_placed(
        state,
        number=placed.number,
        total=placed.total,
        reopens_at=placed.deliver_after,
        timezone=placed.timezone,
        nobody_free=placed.nobody_free,
    )


@dataclass(frozen=True)
class _Resumable:
    id: int
    state: MenuState
    version: int


def _resumable(reads: HopReads, channel: str, phone: str, now: dt.datetime) -> _Resumable | None:
    """This caller's recent session on `channel` that left a basket (an empty one is left
    as it is: nothing to offer)."""
    found = queries.resumable_conversation(
        reads, channel=channel, phone=phone, since=now - RESUME_WINDOW
    )
    if found is None:
        return None
    conversation_id, data, version = found
    state = MenuState.from_dict(data)
    if not state.cart or state.step == "done":
        return None
    return _Resumable(conversation_id, state, version)


MAX_SILENCES = 3  # the prompt, then 2 repeats; then a person (docs/RULES.md: about 3 silences)
OPERATOR_KEY = "0"
REPEAT_KEY = "#"


@dataclass(frozen=True)
class VoiceReply:
    """What to say next on a call, and the step number its answer must carry."""

    screen: Screen | None  # None: connect the caller to a person
    language: str
    next_step: int
    silences: int = 0  # how many times this screen met silence already
    hint: bool = False  # say which keys repeat and reach a person

    @property
    def transfer(self) -> bool:
        return self.screen is None


@dataclass(frozen=True)
class CallStep:
    """One voice callback (Twilio or Africa's Talking) of the call `call_id`.

    `step` is the step its answer carries; `silences` counts the prompts met by silence on
    the current screen; `call_back`: a call we placed after a missed call."""

    call_id: str
    phone: str
    step: int | None
    digits: str | None
    rules: OrderRules
    default_language: str
    now: dt.datetime
    recording_url: str | None = None
    silences: int = 0
    call_back: bool = False


def voice_turn(session: Session, call: CallStep) -> VoiceReply:
    """Answer one voice callback in one durable unit of work that writes whatever the step
    does (an order, a customer).

    A call back starts with the last order read out (`engine.start_callback`) instead of the
    menus. Every reply names its step; an answer that carries an old step (a provider retry)
    changes nothing and hears the current screen again, so no key press acts twice; after
    MAX_SILENCES a person takes over.
    """
    return _written_now(session, *_voice(HopReads.of(session), call))


def voice_hop(reads: HopReads, call: CallStep) -> tuple[VoiceReply, HopWrite | None]:
    """The same answer worked out from reads alone (`Database.hop`), as `ussd_hop`."""
    return _voice(reads, call, relaxed=True)


def _voice(
    reads: HopReads, call: CallStep, *, relaxed: bool = False
) -> tuple[VoiceReply, HopWrite | None]:
    call_id, phone, step, digits = call.call_id, call.phone, call.step, call.digits
    recording_url, silences, call_back = call.recording_url, call.silences, call.call_back
    rules, default_language, now = call.rules, call.default_language, call.now
    version, convo = queries.hop_row(reads, "voice", call_id)
    where = ("voice", call_id, phone, convo)

    if convo is None:
        ctx = _context(reads, version, phone, VOICE, rules, default_language, now, open_order=True)
        state = engine.start_callback(ctx) if call_back else engine.start(ctx)
        return _voice_reply(ctx, state, turn=0), conversation_write(
            *where, ctx, state, now, voice_turn=0
        )
    state = MenuState.from_dict(convo.state)
    turn = int(convo.state.get("voice_turn", 0))
    fresh = step == turn + 1 and (digits is not None or bool(recording_url))
    if digits == OPERATOR_KEY or (not fresh and silences >= MAX_SILENCES):
        return VoiceReply(None, state.language, turn + 1), None  # a person, no menus read
    ctx = _context(
        reads,
        version,
        phone,
        VOICE,
        rules,
        default_language,
        now,
        open_order=engine.reads_open_order(state.step),
        known=convo.state.get(CALLER_KEY) if relaxed else None,
    )
    if not fresh:
        return _voice_reply(ctx, state, turn=turn, silences=silences), None  # repeat, silence
    value = recording_url if state.step == "record" and recording_url else (digits or "")
    if value != REPEAT_KEY:
        ctx, state = _apply(reads, ctx, state, value, now, relaxed=relaxed)
    return _voice_reply(ctx, state, turn=step), conversation_write(
        *where, ctx, state, now, voice_turn=step
    )


def _voice_reply(ctx: Context, state: MenuState, *, turn: int, silences: int = 0) -> VoiceReply:
    """The reply for `state`; the same state always gives the same reply."""
    if state.step == "person":  # asked for a person: the adapter puts the call through
        return VoiceReply(None, state.language, turn + 1)
    lost = any(text.key == "error.unknown_option" for text in state.notice)
    hint = (turn == 0 or lost) and state.step != "done"
    return VoiceReply(engine.screen(ctx, state), state.language, turn + 1, silences, hint)


# The caller as the session knows them, kept beside the menu state in the conversation.
CALLER_KEY = "caller"


def caller_dict(caller: Caller) -> dict[str, Any]:
    """The caller as JSON for the conversation row (`caller_from` reads it back)."""
    last, on_its_way = caller.last_order, caller.open_order
    return {  # by hand: dataclasses.asdict deep-copies every value, on every hop
        "phone": caller.phone,
        "language": caller.language,
        "name": caller.name,
        "address": caller.address,
        "address_recording_url": caller.address_recording_url,
        "last_order": None
        if last is None
        else {
            "market_id": last.market_id,
            "lines": [list(line) for line in last.lines],
            "total": last.total,
        },
        "open_order": None
        if on_its_way is None
        else {
            "number": on_its_way.number,
            "state": on_its_way.state,
            "courier": on_its_way.courier,
            "total": on_its_way.total,
        },
    }


def caller_from(data: dict[str, Any]) -> Caller | None:
    """The caller kept by `caller_dict`; None for anything else (an older row: read again)."""
    try:
        last = data.get("last_order")
        on_its_way = data.get("open_order")
        return Caller(
            phone=data["phone"],
            language=data.get("language"),
            name=data.get("name"),
            address=data.get("address"),
            address_recording_url=data.get("address_recording_url"),
            last_order=LastOrder(
                int(last["market_id"]),
                tuple((int(item), int(quantity)) for item, quantity in last["lines"]),
                int(last["total"]),
            )
            if last
            else None,
            open_order=OpenOrder(**on_its_way) if on_its_way else None,
        )
    except (KeyError, TypeError, ValueError):
        return None


def _status(state: MenuState) -> str:
    """A finished conversation is done; any other is active."""
    return "done" if state.step == "done" else "active"


def _save(convo: Conversation, state: MenuState, now: dt.datetime, **channel: Any) -> None:
    """Keep the state (and what the channel adds to it); a finished conversation is done."""
    convo.state = {**state.to_dict(), **channel}
    convo.status = _status(state)
    convo.updated_at = now


SMS_MENU_IDLE = dt.timedelta(minutes=30)


def sms_menu_turn(
    session: Session,
    *,
    phone: str,
    value: str,
    start: bool,
    typed: bool,
    rules: OrderRules,
    default_language: str,
    now: dt.datetime,
) -> str | None:
    """The numbered menus over SMS (`MENU` alone starts them; digits answer).

    Returns None when this number has no menu session going (or, for `typed` text, when its
    screen does not ask for text), so the message is read as a keyword SMS instead.
    """
    reads = HopReads.of(session)
    convo = queries.conversation(session, "smsmenu", phone)
    saved_step = convo.state.get("step") if convo is not None else None
    open_order = start or engine.reads_open_order(saved_step)
    ctx = _context(
        reads, None, phone, SMS_MENU, rules, default_language, now, open_order=open_order
    )
    if start:
        if convo is None:
            convo = Conversation(
                channel="smsmenu", session_key=phone, phone=phone, created_at=now, updated_at=now
            )
            session.add(convo)
        state = engine.start(ctx)
    else:
        if convo is None or convo.status != "active" or convo.updated_at < now - SMS_MENU_IDLE:
            return None
        state = MenuState.from_dict(convo.state)
        if typed and engine.screen(ctx, state).expects != "text":
            return None
        ctx, state = _apply(reads, ctx, state, value, now)
    _save(convo, state, now)
    return engine.render(ctx, state)
