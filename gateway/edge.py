"""What every webhook adapter does the same way: read the caller's number, answer or apologise.

An adapter parses its provider's fields, then `caller_phone` turns the sender into E.164 (or
None: the adapter answers its "not a phone number" screen), and `answer_or_apologise` runs
the conversation and renders it; any failure on the way is logged with the number masked and
becomes the adapter's apology, which is still a valid answer for that channel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from gateway.current import current_settings
from orders.errors import InvalidPhone
from orders.phones import mask_phone, normalize_phone

log = logging.getLogger(__name__)
R = TypeVar("R")


def caller_phone(raw: str | None) -> str | None:
    """The sender's number as E.164, or None when it is not a phone number."""
    try:
        return normalize_phone(raw, current_settings().phone_region)
    except InvalidPhone:
        return None


def answer_or_apologise(
    what: str, phone: str, answer: Callable[[], R], apology: Callable[[], R]
) -> R:
    """`answer()`, or, if anything in it fails, the logged `apology()`: never an HTTP error."""
    try:
        return answer()
    except Exception:
        log.exception("%s from %s failed", what, mask_phone(phone))
        return apology()
