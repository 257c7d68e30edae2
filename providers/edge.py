"""What every webhook adapter does the same way: check the fields, read the caller's number,
answer or apologise.

An adapter first checks what was posted against its provider's documented fields
(`refuse_malformed`: a missing, repeated or misshapen field is a 400, before anything is
used), then `caller_phone` turns the sender into E.164 (or None: the adapter answers its
"not a phone number" screen), and `answer_or_apologise` runs the conversation and renders
it; any failure on the way is logged with the number masked and becomes the adapter's
apology, which is still a valid answer for that channel.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, NoReturn, TypeVar

from flask import Response, abort, request

from domain.phones import InvalidPhone, mask_phone, normalize_phone
from web.current import current_settings

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


@dataclass(frozen=True)
class Field:
    """A field a provider documents: the shape of its whole value, and whether it always comes.

    A value is a string of that shape; JSON's null counts as absent.
    """

    shape: re.Pattern[str]
    required: bool = False

    def fits(self, value: Any) -> bool:
        """Whether `value` (None: absent) is what the provider sends in this field."""
        if value is None:
            return not self.required
        return isinstance(value, str) and self.shape.fullmatch(value) is not None


def field(shape: str, *, required: bool = False) -> Field:
    """A `Field` of the regular expression `shape` (matched whole; `.` matches newlines)."""
    return Field(re.compile(shape, re.DOTALL), required)


def required(documented: Field) -> Field:
    """The same field, in every request."""
    return replace(documented, required=True)


def text_field(longest: int, *, required: bool = False) -> Field:
    """Free text a person typed: any characters, at most `longest` of them."""
    return field(f".{{0,{longest}}}", required=required)


# Shapes several providers share. Twilio documents its sids (docs/RULES.md); Africa's Talking and
# SMS Gateway for Android publish no shape for their ids, and every id in their
# documentation and examples is letters, digits and `_ . : -` (`ATUid_<hex>`, `ATXid_<hex>`,
# UUIDs, the phone's short ids): docs/WEBHOOKS.md.
PHONE = field("[ -~]{0,64}")  # a number as the provider writes it, or "anonymous"; parsed later
DIGITS_PRESSED = field("[0-9*#]{0,64}")
PROVIDER_ID = field("[A-Za-z0-9_.:-]{1,100}")
URL = field("https?://[!-~]{1,500}")
COUNT = field("[0-9]{1,6}")
WORD = field("[A-Za-z_-]{1,40}")


def malformed(fields: Mapping[str, Field], values: Mapping[str, Any]) -> str | None:
    """The first of `fields` that `values` (a JSON object) lacks or has in another shape."""
    return next((name for name, f in fields.items() if not f.fits(values.get(name))), None)


def refuse_malformed(provider: str, fields: Mapping[str, Field]) -> None:
    """Abort with 400 unless the posted form has each of `fields` as `provider` documents it.

    Checked before anything is used: missing when required, sent twice, or of another shape
    (length and characters included). Fields not listed are let through (providers add
    fields without notice, and Twilio's signature covers them).
    """
    form = request.form
    for name, documented in fields.items():
        values = form.getlist(name)
        if len(values) > 1 or not documented.fits(values[0] if values else None):
            refuse(provider, name)


def refuse(provider: str, name: str) -> NoReturn:
    """Abort with 400: field `name` is not what `provider` sends (logged without its value)."""
    log.warning("%s request refused: %s is not as documented", provider, name)
    abort(Response(f"{name}: not as {provider} sends it\n", status=400, mimetype="text/plain"))


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
