"""Call-center staff: accounts, roles, and slowing down whoever guesses passwords.

Passwords are hashed at the edge (werkzeug.security, in console); this module keeps
the accounts and the record of failed logins, whatever web process served them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from domain.messaging.queries import lock_for
from storage.models import LoginFailure, Staff

ROLES = ("operator", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
MIN_PASSWORD_LENGTH = 10

# The login throttle. Each try is written down before its password is checked (a row of
# login_failures, committed), then counted: in a burst of guesses only the first FREE_TRIES
# rows ever see a count that lets them through, whatever the number of processes. Two counts:
# - this account from this address: FREE_TRIES free, then each try waits 30 s, 60 s, 120 s
#   ... (at most 15 minutes) after the last failure;
# - this account from every address (guesses spread over many): ACCOUNT_FREE_TRIES free,
#   except in a browser that logged into it before (the console's signed device cookie),
#   so that guesses from elsewhere never lock the owner out.
# Nothing counts across accounts: one account's failures never cost another's login.
WINDOW = dt.timedelta(minutes=15)
FREE_TRIES = 5
ACCOUNT_FREE_TRIES = 20
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


def throttle_key(staff: Staff | None, username: str) -> str:
    """What a login try for `username` (whose account is `staff`) is counted under: the
    account's name, or a digest of a name no account has (a password typed into the wrong
    field is never stored)."""
    if staff is not None:
        return staff.username
    digest = hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()
    return "?" + digest[:39]


def begin_login(session: Session, *, key: str, address: str, now: dt.datetime) -> int:
    """Write down a login try before its password is checked; returns its id.

    It first takes the account's lock (`key`), held until the transaction ends: count with
    `seconds_to_wait` in the same transaction, and the tries of one account are written and
    counted one after another, each seeing every try before it. A burst of guesses at once
    has exactly its first few passwords checked, never none and never more.
    """
    lock_for(session, f"login:{key}")
    attempt = LoginFailure(username=key, address=address[:45], at=now)
    session.add(attempt)
    session.flush()
    return attempt.id


def seconds_to_wait(
    session: Session,
    *,
    key: str,
    address: str,
    attempt_id: int,
    now: dt.datetime,
    account_wide: bool = True,
) -> int:
    """How long this try must wait (0: check its password now). The count includes it.

    `account_wide=False` for a browser that logged into the account before: guesses from
    elsewhere never lock its owner out there.
    """
    recent = LoginFailure.at >= now - WINDOW
    waits = [
        _wait(
            session,
            [LoginFailure.username == key, LoginFailure.address == address[:45]],
            recent,
            attempt_id,
            FREE_TRIES,
            now,
        ),
    ]
    if account_wide:
        account = [LoginFailure.username == key]
        waits.append(_wait(session, account, recent, attempt_id, ACCOUNT_FREE_TRIES, now))
    return max(waits)


def _wait(session, where, recent, attempt_id, free: int, now: dt.datetime) -> int:
    """The wait one count asks for: nothing for the first `free` tries in the window."""
    count = session.scalar(select(func.count()).where(*where, recent))
    if count <= free:
        return 0
    last = session.scalar(
        select(func.max(LoginFailure.at)).where(*where, recent, LoginFailure.id != attempt_id)
    )
    if last is None:
        return 0
    wait = min(FIRST_WAIT_SECONDS * 2 ** min(count - 1 - free, 10), LONGEST_WAIT_SECONDS)
    if last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)
    left = (last + dt.timedelta(seconds=wait) - now).total_seconds()
    return max(0, int(left + 0.999))


def forget_try(session: Session, attempt_id: int) -> None:
    """A try that was told to wait: its password was not checked, so it is no failure."""
    session.execute(delete(LoginFailure).where(LoginFailure.id == attempt_id))


def login_succeeded(session: Session, *, key: str, address: str) -> None:
    """The right password: this account's failures from this address are forgiven."""
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.username == key, LoginFailure.address == address[:45]
        )
    )


def staff_or_error(session: Session, username: str) -> Staff:
    """The account of `username`; StaffError when there is none."""
    staff = staff_by_username(session, username)
    if staff is None:
        raise StaffError(f"no account is called {username.strip().lower()[:40]!r}")
    return staff


def end_sessions(session: Session, staff: Staff) -> None:
    """Every console cookie of this account stops working (logout, new password, disabled)."""
    session.execute(
        update(Staff)
        .where(Staff.id == staff.id)
        .values(session_generation=Staff.session_generation + 1)
        .execution_options(synchronize_session="fetch")
    )


def disable_staff(session: Session, username: str, *, now: dt.datetime) -> Staff:
    """The account can no longer log in, and whoever is logged in with it is logged out."""
    staff = staff_or_error(session, username)
    if staff.disabled_at is None:
        staff.disabled_at = now
    end_sessions(session, staff)
    return staff


def enable_staff(session: Session, username: str) -> Staff:
    """A disabled account may log in again (with its password)."""
    staff = staff_or_error(session, username)
    staff.disabled_at = None
    return staff


def change_password(session: Session, username: str, *, password_hash: str) -> Staff:
    """A new password (hashed by the caller); every session of the old one ends."""
    staff = staff_or_error(session, username)
    staff.password_hash = password_hash
    end_sessions(session, staff)
    return staff
