"""Reads of conversations: where a USSD session, a call or an SMS menu stands.

Each takes the session first and never commits (the caller does).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from storage.models import (
    Conversation,
)

_CONVERSATIONS = Conversation.__table__
# A hop's one read of its conversation, built once: the columns alone, no ORM object (the
# hop writes it back with one conditional UPDATE, `menu_turns.ConversationWrite`).
CONVERSATION_ROW = select(
    _CONVERSATIONS.c.id,
    _CONVERSATIONS.c.state,
    _CONVERSATIONS.c.last_input,
    _CONVERSATIONS.c.last_reply,
    _CONVERSATIONS.c.status,
    _CONVERSATIONS.c.version,
).where(
    _CONVERSATIONS.c.channel == bindparam("channel"),
    _CONVERSATIONS.c.session_key == bindparam("session_key"),
)


def conversation_row(session: Session, channel: str, session_key: str) -> Row | None:
    """Where one provider session stands: id, state, last input and reply, status, version."""
    return session.execute(
        CONVERSATION_ROW, {"channel": channel, "session_key": session_key}
    ).first()


def conversation(session: Session, channel: str, session_key: str) -> Conversation | None:
    """The conversation of one provider session."""
    return session.scalar(
        select(Conversation).where(
            Conversation.channel == channel, Conversation.session_key == session_key
        )
    )


def resumable_conversation(
    session: Session, *, channel: str, phone: str, since: dt.datetime
) -> Conversation | None:
    """The newest unfinished conversation of this number on this channel, touched since `since`."""
    return session.scalar(
        select(Conversation)
        .where(
            Conversation.channel == channel,
            Conversation.phone == phone,
            Conversation.status == "active",
            Conversation.updated_at >= since,
        )
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
        .limit(1)
    )
