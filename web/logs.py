"""Logging for the gateway: every line passes through a filter that masks phone numbers
and webhook tokens; as text, or (LOG_FORMAT=json) as one JSON object a line with the time,
level, logger, message and the request's id.

Our own messages mask numbers already (`mask_phone`); this catches what others write, such
as a database error whose detail repeats a duplicate phone number, or the access log's
`?token=` of Africa's Talking's webhooks. Numbers are found by `phonenumbers`' own matcher
(so `+62 812 3456 7890` and `0812-3456-7890` are found too), and digit runs that look like
E.164 numbers without their `+`.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any

import phonenumbers
from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

from domain.phones import mask_phone

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The JSON line's fields, as LogRecord attributes, and the names they are written under.
JSON_FIELDS = ("asctime", "levelname", "name", "message", "request_id")
JSON_NAMES = {"asctime": "time", "levelname": "level", "name": "logger"}
ISO_TIME = "%Y-%m-%dT%H:%M:%S%z"
# A request id taken from the proxy's X-Request-Id only when it looks like one (no spaces, no
# markup, not a whole paragraph); otherwise one is made.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:@-]{1,64}")
NO_REQUEST = "-"
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


class RedactingJsonFormatter(JsonFormatter):
    """One JSON object a line: time (ISO 8601, UTC offset), level, logger, message (with any
    traceback as `exc_info`), request_id; masked as the text lines are."""

    def __init__(self) -> None:
        super().__init__(
            list(JSON_FIELDS),
            datefmt=ISO_TIME,
            rename_fields=JSON_NAMES,
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data["request_id"] = getattr(record, "request_id", None) or _access_id(record)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return _masked(log_data)  # field by field, before the line is written as JSON


def _masked(value: Any) -> Any:
    """`value` with every string in it masked, however deep (a dict logged as `extra`, its
    keys too); anything but a number, a truth value or None is written as its masked text."""
    if isinstance(value, dict):
        return {redact(str(key)): _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


def _access_id(record: logging.LogRecord) -> str:
    """The request id of one of gunicorn's access lines (its atoms carry the response's
    headers), or `-`."""
    if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
        return str(record.args.get("{x-request-id}o") or NO_REQUEST)
    return NO_REQUEST


class RequestIdFilter(logging.Filter):
    """Gives every record the id of the request it was written in (`-` outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            in_request = has_request_context() and "request_id" in g
            record.request_id = g.request_id if in_request else NO_REQUEST
        return True


def formatter_for(log_format: str) -> logging.Formatter:
    """The masking formatter of LOG_FORMAT (`text` or `json`)."""
    return RedactingJsonFormatter() if log_format == "json" else RedactingFormatter(FORMAT)


class MaskedStreamHandler(logging.StreamHandler):
    """A stream handler that, when a record cannot be written (a format string that does
    not fit its arguments), writes one line of its own format saying so: never Python's
    traceback with the record's arguments unmasked."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        try:
            said = logging.makeLogRecord(
                {
                    "name": record.name,
                    "levelno": logging.ERROR,
                    "levelname": "ERROR",
                    "msg": "a log line could not be written (its arguments do not fit %r)",
                    "args": (str(record.msg)[:200],),
                    "request_id": getattr(record, "request_id", NO_REQUEST),
                }
            )
            self.stream.write(self.format(said) + self.terminator)
            self.flush()
        except Exception:  # the stream itself is gone: nothing more to say
            return


def configure_logging(log_format: str = "text") -> None:
    """Log to stderr through the masking formatter of `log_format` (one handler a process;
    a later app of another format changes its formatter)."""
    # The Twilio SDK logs every request's URL and headers at INFO: noise in the worker's log.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    root = logging.getLogger()
    ours = [h for h in root.handlers if isinstance(h, MaskedStreamHandler)]
    if ours:  # set up before: by an app of this process, or by gunicorn's logconfig_dict
        ours[0].setFormatter(formatter_for(log_format))
        if not any(isinstance(f, RequestIdFilter) for f in ours[0].filters):
            ours[0].addFilter(RequestIdFilter())
        return
    handler = MaskedStreamHandler()
    handler.setFormatter(formatter_for(log_format))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def track_request_ids(app: Flask) -> None:
    """Every request gets an id, taken from `X-Request-Id` (a proxy's) or made, logged with
    each of its lines and sent back in the answer's `X-Request-Id`."""

    @app.before_request
    def _take_request_id() -> None:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def _send_request_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers["X-Request-Id"] = g.request_id
        return response
