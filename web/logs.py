"""Logging for the gateway: every line passes through a filter that masks phone numbers
and webhook tokens.

Our own messages mask numbers already (`mask_phone`); this catches what others write, such
as a database error whose detail repeats a duplicate phone number, or the access log's
`?token=` of Africa's Talking's webhooks. Numbers are found by `phonenumbers`' own matcher
(so `+62 812 3456 7890` and `0812-3456-7890` are found too), and digit runs that look like
E.164 numbers without their `+`.
"""

from __future__ import annotations

import logging
import re

import phonenumbers

from domain.phones import mask_phone

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# An Indonesian number as E.164 (+62...), as digits with the country code, or as 08...
PHONE_LIKE = re.compile(r"(?<![\d*])(?:\+?62|0)8\d{7,11}(?!\d)|(?<![\d*])\+\d{10,14}(?!\d)")


TOKEN = re.compile(r"((?:token|key|secret|password)=)[^&\s\"']+", re.IGNORECASE)


def redact(text: str) -> str:
    """The text with every phone number and every `token=` value in it masked."""
    text = TOKEN.sub(r"\1***", text)
    found = phonenumbers.PhoneNumberMatcher(text, "ID")
    for match in sorted(found, key=lambda m: m.start, reverse=True):
        digits = re.sub(r"[^\d+]", "", match.raw_string)
        text = text[: match.start] + mask_phone(digits) + text[match.end :]
    return PHONE_LIKE.sub(lambda match: mask_phone(match.group()), text)


class RedactingFormatter(logging.Formatter):
    """A formatter whose output (message and traceback alike) has no whole phone number."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging() -> None:
    """Log to stderr through the redacting formatter (once per process)."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, RedactingFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # The Twilio SDK logs every request's URL and headers at INFO: noise in the worker's log.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
