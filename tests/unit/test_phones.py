"""Phone numbers: one person whatever way the number is written; never shown whole in logs."""

from __future__ import annotations

import pytest

from domain.phones import InvalidPhone, friendly_phone, mask_phone, normalize_phone


@pytest.mark.parametrize(
    "raw",
    ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "081234567890", " +6281234567890 "],
)
def test_the_same_mobile_number_written_five_ways(raw):
    assert normalize_phone(raw) == "+6281234567890"


def test_a_fixed_line_in_amlapura():
    assert normalize_phone("(0363) 21234") == "+6236321234"
    # phonenumbers reads these digits as a different, valid national number: we add the +.
    assert normalize_phone("62363 21234") == "+6236321234"


@pytest.mark.parametrize("raw", ["", "   ", "abc", "123", "0812", "+1 202", "9" * 40, None, "*#*"])
def test_what_is_not_a_phone_number_is_refused(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_the_error_does_not_repeat_the_whole_number():
    with pytest.raises(InvalidPhone) as raised:
        normalize_phone("+62 812 3456 78901234")
    assert "3456" not in str(raised.value)


def test_friendly_and_masked_forms():
    assert friendly_phone("+6281234567890") == "0812-3456-7890"
    assert mask_phone("+6281234567890") == "+62812****7890"
    assert "34567" not in mask_phone("+6281234567890")
