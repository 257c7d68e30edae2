"""Phone numbers: E.164 inside (`+6281234567890`), friendly outside, masked in logs."""

from __future__ import annotations

import functools
import re

import phonenumbers

MAX_INPUT_LENGTH = 32


class InvalidPhone(ValueError):
    """A phone number that does not parse as a valid number."""


@functools.lru_cache(maxsize=4096)  # the same callers hop after hop; parsing is costly
def normalize_phone(raw: str | None, region: str = "ID") -> str:
    """Parse what a provider or a person wrote into E.164, or raise InvalidPhone.

    `0812-3456-7890`, `+62 812 3456 7890` and `6281234567890` are the same person. Digits that
    start with the country code get their `+` here: `phonenumbers` reads `62363 21234` in region
    ID as a wrong, valid national number.
    """
    text = (raw or "").strip()
    if not text or len(text) > MAX_INPUT_LENGTH:
        raise InvalidPhone(f"not a phone number: {mask_phone(text)}")
    digits = re.sub(r"[\s().-]", "", text)
    country_code = str(phonenumbers.country_code_for_region(region))
    if digits.isdigit() and digits.startswith(country_code) and not digits.startswith("0"):
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {mask_phone(text)}") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"not a valid phone number: {mask_phone(text)}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def in_region(e164: str, region: str) -> bool:
    """Whether an E.164 number belongs to `region` (PHONE_REGION): the only numbers we text
    or call, so that nobody can make us text abroad at our cost."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.region_code_for_number(number) == region


def friendly_phone(e164: str) -> str:
    """How people write the number at home: `0812-3456-7890` style national format."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def mask_phone(phone: str) -> str:
    """Hide the middle of a number for logs: `+62812****7890`."""
    if len(phone) < 11:
        return "*" * max(len(phone) - 2, 0) + phone[-2:]
    return phone[:6] + "*" * (len(phone) - 10) + phone[-4:]
