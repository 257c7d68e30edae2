"""What a customer types about themselves (a name, an address): one rule for every channel.

The text must be storable and sendable by SMS later: the right length, GSM-7 characters only
(no emoji that would turn a courier's SMS into UCS-2), no control characters.
"""

from __future__ import annotations

import re

from voice_prompts.gsm7 import is_gsm7

NAME_LENGTH = (2, 60)
ADDRESS_LENGTH = (5, 160)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def tidy(text: str) -> str:
    """The text with runs of spaces, tabs and line breaks made single spaces."""
    return " ".join(text.split())


def valid_name(text: str) -> bool:
    """A name: 2 to 60 characters, two letters at least."""
    return _valid(text, NAME_LENGTH) and sum(char.isalpha() for char in text) >= 2


def valid_address(text: str) -> bool:
    """An address: 5 to 160 characters."""
    return _valid(text, ADDRESS_LENGTH)


def _valid(text: str, length: tuple[int, int]) -> bool:
    low, high = length
    return low <= len(text) <= high and is_gsm7(text) and not _CONTROL.search(text)
