"""Reads of conversations: where a USSD session, a call or an SMS menu stands.

Each takes the session first and never commits (the caller does).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from storage.database import HopReads
from storage.driver import Prepared
from storage.models import CatalogVersion, Conversation

_CONVERSATIONS = Conversation.__table__
_CATALOG = CatalogVersion.__table__
# Where a session stands, as a hop reads it (`ConversationRow`), and which session.
_STANDING = tuple(
    _CONVERSATIONS.c[name]
    for name in ("id", "state", "last_input", "last_reply", "status", "version")
)
_THIS_SESSION = and_(
    _CONVERSATIONS.c.channel == bindparam("channel"),
    _CONVERSATIONS.c.session_key == bindparam("session_key"),
)
# A hop's one read, prepared once: the catalog's version, and its conversation's columns
# (no ORM object: the hop writes it back with one conditional UPDATE,
# `menu_turns.conversation_write`). One statement, so one snapshot and one round trip.
HOP_ROW = Prepared(
    select(_CATALOG.c.version, *_STANDING)
    .select_from(_CATALOG.outerjoin(_CONVERSATIONS, _THIS_SESSION))
    .where(_CATALOG.c.id == 1)
)
# The same conversation alone (used only should the catalog_version row be missing).
CONVERSATION_ROW = Prepared(select(*_STANDING).where(_THIS_SESSION))


@dataclass(frozen=True)
class ConversationRow:
    """Where one provider session stands, as a hop reads it."""

    id: int
    state: dict[str, Any]
    last_input: str
    last_reply: str
    status: str
    version: int


def hop_row(reads: HopReads, channel: str, session_key: str) -> tuple[int, ConversationRow | None]:
    """The catalog's version, and where one provider session stands (None: a new one)."""
    row = reads.first(HOP_ROW, channel=channel, session_key=session_key)
    if row is None:  # the catalog_version row was deleted by hand: version 0, as
        # order_queries.catalog_version reads it, and the conversation alone
        alone = reads.first(CONVERSATION_ROW, channel=channel, session_key=session_key)
        row = (0, *(alone or (None,) * len(_STANDING)))
    version, *conversation = row
    return version, None if conversation[0] is None else ConversationRow(*conversation)


def conversation(session: Session, channel: str, session_key: str) -> Conversation | None:
    """The conversation of one provider session."""
    return session.scalar(
        select(Conversation).where(
            Conversation.channel == channel, Conversation.session_key == session_key
        )
    )


# A first dial's look for a basket left in a recent session, prepared once.
RESUMABLE = Prepared(
    select(_CONVERSATIONS.c.id, _CONVERSATIONS.c.state, _CONVERSATIONS.c.version)
    .where(
        _CONVERSATIONS.c.channel == bindparam("channel"),
        _CONVERSATIONS.c.phone == bindparam("phone"),
        _CONVERSATIONS.c.status == "active",
        _CONVERSATIONS.c.updated_at >= bindparam("since"),
    )
    .order_by(_CONVERSATIONS.c.updated_at.desc(), _CONVERSATIONS.c.id.desc())
    .limit(1)
)


def resumable_conversation(
    reads: HopReads, *, channel: str, phone: str, since: dt.datetime
) -> tuple[int, dict[str, Any], int] | None:
    """The newest unfinished conversation of this number on this channel, touched since
    `since`: its id, state and version."""
    return reads.first(RESUMABLE, channel=channel, phone=phone, since=since)


def mark_replaced(session: Session, conversation_id: int, version: int) -> None:
    """A conversation whose basket a new session took over: offered once, never again.
    Only as it was read (`version`): if its own session moved it on, or another new session
    took it first, StaleDataError (the unit of work is run again, and reads it anew)."""
    moved = session.execute(
        update(_CONVERSATIONS)
        .where(_CONVERSATIONS.c.id == conversation_id, _CONVERSATIONS.c.version == version)
        .values(status="replaced", version=_CONVERSATIONS.c.version + 1)
    )
    if moved.rowcount != 1:
        raise StaleDataError("the basket's session changed since it was read")
