"""Logs never show a whole phone number, whoever wrote the line."""

from __future__ import annotations

import pytest

from web.logs import redact


@pytest.mark.parametrize(
    "line, hidden",
    [
        ("Key (phone)=(+6281234567890) already exists.", "6281234567890"),
        ("from 081234567890 failed", "081234567890"),
        ("to 6281234567890", "6281234567890"),
        ("courier +6285712345678 took it", "85712345678"),
        ("a US number +12025550143", "2025550143"),
    ],
)
def test_phone_numbers_are_masked(line, hidden):
    assert hidden not in redact(line)
    assert "**" in redact(line)


@pytest.mark.parametrize(
    "line", ["order 4821 total 86000", "GET /healthz 200", "2026-11-30 10:00:00"]
)
def test_other_numbers_are_left_alone(line):
    assert redact(line) == line


def test_an_already_masked_number_stays_as_it_is():
    assert redact("[SMS to +62812****7890]") == "[SMS to +62812****7890]"


@pytest.mark.parametrize(
    ("line", "hidden"),
    [
        ("from +62 812 3456 7890 failed", "3456 7890"),
        ("from 0812-3456-7890 failed", "3456-7890"),
        ("from 0812.3456.7890 failed", "3456.7890"),
        ("call (0363) 21234", "21234"),
    ],
)
def test_numbers_written_with_spaces_dots_or_dashes_are_masked(line, hidden):
    assert hidden not in redact(line)


def test_webhook_tokens_never_reach_the_log():
    line = '127.0.0.1 - - "POST /africastalking/sms?token=s3cr3t-AT&x=1 HTTP/1.1" 200 -'
    assert "s3cr3t" not in redact(line)
    assert "token=***&x=1" in redact(line)
