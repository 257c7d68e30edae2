"""What every webhook adapter does the same way: read the caller's number, answer or apologise.

An adapter parses its provider's fields, then `caller_phone` turns the sender into E.164 (or
None: the adapter answers its "not a phone number" screen), and `answer_or_apologise` runs
the conversation and renders it; any failure on the way is logged with the number masked and
becomes the adapter's apology, which is still a valid answer for that channel.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TypeVar

from gateway.current import current_settings
from orders.errors import InvalidPhone
from orders.phones import mask_phone, normalize_phone

log = logging.getLogger(__name__)
R = TypeVar("R")

# What XML 1.0 forbids in text: control characters but tab, newline and carriage return;
# lone surrogates; U+FFFE and U+FFFF.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# What a database cannot keep in text: NUL, and lone surrogates (not valid UTF-8).
NOT_STORABLE = re.compile("[\x00\ud800-\udfff]")


def xml_text(text: str) -> str:
    """Text that can stand in an XML reply (TwiML, Africa's Talking voice XML) whatever a
    user typed into it: the characters XML 1.0 forbids are left out."""
    return NOT_XML.sub("", text)


def storable(text: str) -> str:
    """Text a database keeps as it is: NUL and lone surrogates become U+FFFD, nothing lost."""
    return NOT_STORABLE.sub("\ufffd", text)


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
