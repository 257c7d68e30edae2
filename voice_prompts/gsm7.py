"""GSM-7 and UCS-2 arithmetic for SMS text: which encoding a text needs and how many parts.

GSM-7 fits 160 characters in one SMS, 153 per part when split; the extension characters
(`^{}\\[~]|€`) take two places. One character outside GSM-7 turns the whole SMS into UCS-2:
70 characters, 67 per part (characters outside the Basic Multilingual Plane, such as emoji,
take two UCS-2 units).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, 16-bit code units for UCS-2
    segments: int


def gsm7_septets(text: str) -> int | None:
    """How many septets `text` takes in GSM-7, or None when it cannot be written in GSM-7."""
    try:
        return len(text.encode("gsm03.38"))
    except UnicodeEncodeError:
        return None


def is_gsm7(text: str) -> bool:
    """True when every character of `text` exists in the GSM-7 alphabet."""
    return gsm7_septets(text) is not None


@functools.lru_cache(maxsize=1024)  # an offer to 500 couriers is one text 500 times
def count_segments(text: str) -> SegmentCount:
    """The encoding, size and number of SMS parts that `text` needs."""
    if is_gsm7(text):
        sizes = [len(char.encode("gsm03.38")) for char in text]
        return SegmentCount("GSM-7", sum(sizes), _parts(sizes, GSM7_SINGLE, GSM7_PART))
    sizes = [len(char.encode("utf-16-le")) // 2 for char in text]
    return SegmentCount("UCS-2", sum(sizes), _parts(sizes, UCS2_SINGLE, UCS2_PART))


def _parts(sizes: list[int], single: int, part: int) -> int:
    """Parts needed when a character (an escape pair, a surrogate pair) is never split."""
    if sum(sizes) <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts
