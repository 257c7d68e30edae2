"""Reads of conversations: where a USSD session, a call or an SMS menu stands.

Each takes the session first and never commits (the caller does).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import (
    Conversation,
)


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
