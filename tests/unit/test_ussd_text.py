"""What the caller typed since the previous request, from Africa's Talking's `text`."""

from __future__ import annotations

import pytest

from menus.ussd import new_inputs


@pytest.mark.parametrize(
    "previous, text, expected",
    [
        (None, "", []),  # a new session
        (None, "1*2", ["1", "2"]),  # a new session dialled with a shortcut (*123*1*2#)
        ("", "1", ["1"]),
        ("1", "1*2", ["2"]),
        ("1*2", "1*2*Banjar Kauh, dekat pura", ["Banjar Kauh, dekat pura"]),
        ("1*2", "1*2", []),  # a repeat
        ("1*2", "1*2*", [""]),  # an empty input
        ("1*2*3", "1*9", ["9"]),  # an unexpected history: the last part only
        ("1", "1*Jl. Kenanga*3", ["Jl. Kenanga*3"]),  # a star typed in text stays in the text
    ],
)
def test_new_inputs(previous, text, expected):
    assert new_inputs(previous, text) == expected
