"""Segment counting: GSM-7 160/153, extension characters count two, UCS-2 70/67."""

from __future__ import annotations

import pytest

from voice_prompts.gsm7 import count_segments, is_gsm7


@pytest.mark.parametrize(
    "text, encoding, units, segments",
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters take two septets
        ("€" * 81, "GSM-7", 162, 2),
        ("[]{}^~|\\", "GSM-7", 16, 1),
        ("a" * 152 + "€", "GSM-7", 154, 1),
        # An escape pair is never split: 152 + 2 does not fit the first part's 153.
        ("a" * 152 + "€" + "a" * 10, "GSM-7", 164, 2),
        ("a" * 305 + "€", "GSM-7", 307, 3),
        ("é à ü Ñ Ç", "GSM-7", 9, 1),  # accented letters that GSM-7 has
        ("ç", "UCS-2", 1, 1),  # lower-case c-cedilla is not GSM-7
        ("“quotes”", "UCS-2", 8, 1),
        ("Tunggu…", "UCS-2", 7, 1),
        ("x" * 70 + "…", "UCS-2", 71, 2),
        ("…" * 70, "UCS-2", 70, 1),
        ("…" * 134, "UCS-2", 134, 2),
        ("…" * 135, "UCS-2", 135, 3),
        ("😀" * 35, "UCS-2", 70, 1),  # emoji take two UCS-2 units
        ("😀" * 36, "UCS-2", 72, 2),
    ],
)
def test_segments(text, encoding, units, segments):
    count = count_segments(text)
    assert (count.encoding, count.units, count.segments) == (encoding, units, segments)


def test_one_character_outside_gsm7_makes_the_whole_message_ucs2():
    assert is_gsm7("Pesanan 4821 diterima.")
    assert not is_gsm7("Pesanan 4821 diterima. 🙏")
    assert count_segments("a" * 100 + "🙏").segments == 2
