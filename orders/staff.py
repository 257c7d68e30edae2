"""Call-center staff: accounts, roles, and slowing down whoever guesses passwords.

Passwords are hashed at the edge (werkzeug.security, in gateway/console); this module keeps
the accounts and the record of failed logins, whatever web process served them.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import LoginFailure, Staff

ROLES = ("operator", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
MIN_PASSWORD_LENGTH = 10

# Failed logins for one user, or from one address, within WINDOW: the first FREE_TRIES cost
# nothing; after them each try waits 30 s, 60 s, 120 s ... (at most 15 minutes) after the
# last failure.
WINDOW = dt.timedelta(minutes=15)
FREE_TRIES = 5
FIRST_WAIT_SECONDS = 30
LONGEST_WAIT_SECONDS = 900


class StaffError(ValueError):
    """An account that cannot be made as asked; the message says why."""


def add_staff(
    session: Session, *, username: str, password_hash: str, role: str, now: dt.datetime
) -> Staff:
    """A new console account (the password already hashed by the caller)."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise StaffError(
            "a username is 3 to 40 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
        )
    if role not in ROLES:
        raise StaffError(f"role {role!r}: choose {' or '.join(ROLES)}")
    if staff_by_username(session, username) is not None:
        raise StaffError(f"the username {username!r} is taken")
    staff = Staff(username=username, password_hash=password_hash, role=role, created_at=now)
    session.add(staff)
    session.flush()
    return staff


def staff_by_username(session: Session, username: str) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.username == username.strip().lower()))


def seconds_to_wait(session: Session, *, username: str, address: str, now: dt.datetime) -> int:
    """How long this user or this address must wait before the next login try (0: now)."""
    since = now - WINDOW
    counts = []
    for column, value in (
        (LoginFailure.username, username.strip().lower()),
        (LoginFailure.address, address),
    ):
        count, last = session.execute(
            select(func.count(), func.max(LoginFailure.at)).where(
                column == value, LoginFailure.at >= since
            )
        ).one()
        counts.append((count, last))
    count, last = max(counts, key=lambda pair: pair[0])
    if count < FREE_TRIES or last is None:
        return 0
    wait = min(FIRST_WAIT_SECONDS * 2 ** (count - FREE_TRIES), LONGEST_WAIT_SECONDS)
    if last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)
    left = (last + dt.timedelta(seconds=wait) - now).total_seconds()
    return max(0, int(left + 0.999))


def record_failure(session: Session, *, username: str, address: str, now: dt.datetime) -> None:
    """Remember a failed login (and forget those older than a day)."""
    session.execute(
        LoginFailure.__table__.delete().where(LoginFailure.at < now - dt.timedelta(days=1))
    )
    session.add(LoginFailure(username=username.strip().lower()[:40], address=address[:45], at=now))
