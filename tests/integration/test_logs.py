"""LOG_FORMAT=json: one JSON object a line, each with its request's id, no whole phone number;
and the request id itself (X-Request-Id taken or made, and sent back)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace

import pytest

from tests.integration.test_ussd_order import order_tomatoes_and_rice
from tests.ussd import UssdSession, option_key
from web.logs import MaskedStreamHandler, RequestIdFilter, formatter_for

CALLER = "+6281234567890"
# The caller's number as any log line could hold it whole: E.164, with 62, national.
WHOLE_NUMBER = re.compile(r"6281234567890|081234567890|0812-3456-7890|812 3456 7890")
FIELDS = {"time", "level", "logger", "message", "request_id"}


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What the root logger writes, as LOG_FORMAT=json writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter_for("json"))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level, root.level = root.level, logging.INFO
    yield stream
    root.removeHandler(handler)
    root.level = level


def lines_of(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_ussd_order_logs_json_lines_with_their_request_ids_and_no_whole_number(
    make_app, settings, json_log, courier_on_duty
):
    app = make_app(replace(settings, log_format="json"))
    client = app.test_client()
    ussd = UssdSession(client, phone=CALLER)
    ussd.press(option_key(order_tomatoes_and_rice(ussd), "Pesan sekarang"))
    with app.test_request_context(headers={"X-Request-Id": "req-42"}):
        app.preprocess_request()
        try:
            raise ValueError(f"the caller {CALLER} (0812-3456-7890) hung up")
        except ValueError:
            logging.getLogger("telepasar.test").exception("SMS to %s failed", CALLER)

    lines = lines_of(json_log)

    assert len(lines) >= 2  # the offer to the courier, and the failure above
    assert all(set(line) - {"exc_info"} == FIELDS for line in lines), lines
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", line["time"]) for line in lines
    )
    offered = next(line for line in lines if "offered to 1 couriers" in line["message"])
    assert offered["level"] == "INFO" and offered["logger"] == "domain.delivery.dispatch"
    assert re.fullmatch(r"[0-9a-f]{32}", offered["request_id"])  # made for the USSD request
    failed = lines[-1]
    assert (failed["level"], failed["logger"], failed["request_id"]) == (
        "ERROR",
        "telepasar.test",
        "req-42",
    )
    assert failed["message"].startswith("SMS to +62") and "hung up" in failed["exc_info"]
    assert not WHOLE_NUMBER.search(json_log.getvalue())


def test_lines_outside_a_request_say_so(json_log):
    logging.getLogger("gateway.worker").info("worker pass failed for %s", CALLER)

    (line,) = lines_of(json_log)

    assert line["request_id"] == "-" and line["logger"] == "gateway.worker"
    assert not WHOLE_NUMBER.search(line["message"])


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "given, kept",
    [
        ("3f2a9c1e-77aa-4b1d-9a51-0c2f5e1b7d10", True),
        ("caddy.7f3e:42", True),
        ("", False),
        ("two words", False),
        ("<script>alert(1)</script>", False),
        ("x" * 65, False),
    ],
)
def test_a_request_id_is_taken_from_the_proxy_or_made_and_sent_back(client, given, kept):
    response = client.get("/healthz", headers={"X-Request-Id": given} if given else {})

    sent_back = response.headers["X-Request-Id"]
    if kept:
        assert sent_back == given
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", sent_back)


@pytest.mark.sqlite_only
def test_each_request_gets_its_own_id(client):
    ids = {client.get("/healthz").headers["X-Request-Id"] for _ in range(3)}

    assert len(ids) == 3


def test_a_line_that_cannot_be_written_says_so_in_one_masked_line(make_app, settings):
    make_app(replace(settings, log_format="json"))  # the process's own handler, as served
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, MaskedStreamHandler))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    bad = logging.LogRecord(
        "telepasar.test", logging.WARNING, __file__, 1, "order %d for %s", ("x", CALLER), None
    )
    try:
        handler.handle(bad)  # (through a logger, pytest's own handler would fail the test)
    finally:
        handler.setStream(previous)

    (line,) = lines_of(stream)  # one JSON line, not Python's traceback
    assert line["logger"] == "telepasar.test" and line["level"] == "ERROR"
    assert line["message"] == (
        "a log line could not be written (its arguments do not fit 'order %d for %s')"
    )
    assert not WHOLE_NUMBER.search(stream.getvalue())


def test_a_dict_logged_is_masked_however_deep(json_log):
    logging.getLogger("telepasar.test").info({"sms": {"to": [CALLER]}, "note": "resent"})

    (line,) = lines_of(json_log)

    assert line["sms"]["to"][0].startswith("+62") and line["note"] == "resent"
    assert not WHOLE_NUMBER.search(json_log.getvalue())
