"""Every webhook, fed generated requests (Hypothesis): a valid answer every time, nothing lost.

Each test draws requests as the provider would post them (every field of its documented
kind) or broken ones (any field of any text, or left out), signed or with the token as the
provider would, and checks what a provider and a customer would notice:

- the status is 200 for a request as the provider sends it, 400 for a broken one, never 500;
- the answer has the channel's format: `CON `/`END ` and at most 182 characters (USSD),
  well-formed XML (Twilio, Africa's Talking voice), an empty 200 or a 400 (SMS gateways);
- no error is logged; an SMS accepted from a number is stored with its text, once;
- nothing is half written: every order has its lines, its totals add up, and its
  confirmation SMS is in the outbox.

`make test` runs a few hundred requests a webhook, the same ones every time. For a long
run, `TELEPASAR_FUZZ_EXAMPLES=20000 make test` draws that many, new ones each run.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from contextlib import contextmanager, nullcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from twilio.request_validator import RequestValidator

from providers.edge import storable
from storage.models import InboundMessage, Order, OutboundMessage
from tests import fake_providers as fp
from tests.provider_sms import ANDROID_KEY, AT_TOKEN, phone_time
from tests.voice import PUBLIC_BASE_URL

LONG_RUN = os.environ.get("TELEPASAR_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(LONG_RUN or 200),
    derandomize=not LONG_RUN,  # make test: the same requests on every machine, every run
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# ---------------------------------------------------------------- what the providers send

# Any text a form can carry (a lone surrogate cannot be sent as UTF-8, so none is drawn).
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
PHONES = st.sampled_from(
    ["+6281234567890", "081234567891", "+62 812-3456-7892", "6281234567893", "anonymous"]
)
SMS_TEXTS = st.one_of(
    st.sampled_from(
        [
            "PASAR",
            "MENU",
            "PESAN B04 2",
            "PESAN B04 2, B01 1",
            "YA",
            "TIDAK",
            "STATUS",
            "BATAL",
            "CARI tomat",
            "NAMA Ni Made Sari",
            "ALAMAT Banjar Kaler, dekat pura",
            "STOP",
            "START",
            "STOK tomat",
            "BAHASA EN",
        ]
    ),
    ANY_TEXT,
)
KEYS = st.sampled_from(["1", "2", "3", "4", "9", "0", "00", "98", "99", "#", "*"])
USSD_TEXTS = st.lists(st.one_of(KEYS, st.text(max_size=8)), max_size=10).map("*".join)
DIGITS = st.from_regex(r"[0-9*#]{0,3}", fullmatch=True)


def hex_sid(prefix: str, few: int = 4) -> st.SearchStrategy[str]:
    """A Twilio sid of `prefix` from a few, so that later requests continue earlier ones."""
    return st.integers(0, few - 1).map(lambda n: prefix + hashlib.md5(bytes([n])).hexdigest())


def new_sid(prefix: str) -> st.SearchStrategy[str]:
    return st.binary(min_size=16, max_size=16).map(lambda raw: prefix + raw.hex())


@st.composite
def forms(
    draw: st.DrawFn, documented: dict[str, st.SearchStrategy[str]]
) -> tuple[dict[str, str], bool]:
    """A form with every field of its documented kind (and True), or a broken one: any field
    of any text, or left out (and False, though it may happen to be well formed)."""
    if draw(st.booleans()):
        return {name: draw(kind) for name, kind in documented.items()}, True
    form = {}
    for name, kind in documented.items():
        way = draw(st.sampled_from(["documented", "any text", "left out"]))
        if way != "left out":
            form[name] = draw(kind if way == "documented" else ANY_TEXT)
    return form, False


# ---------------------------------------------------------------- what must always hold


def assert_valid_status(response, well_formed: bool) -> None:
    expected = {200} if well_formed else {200, 400}
    assert response.status_code in expected, response.get_data(as_text=True)


def assert_nothing_logged_as_error(caplog) -> None:
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors


def assert_nothing_half_written(db: Session) -> None:
    """Every order has lines that add up to its totals, and its confirmation SMS queued."""
    db.rollback()  # a new transaction: see what the app committed since
    orders = db.scalars(select(Order).options(selectinload(Order.lines))).all()
    for order in orders:
        assert order.lines, order.number
        assert sum(line.line_total for line in order.lines) == order.goods_total
        assert order.total == order.goods_total + order.delivery_fee
        confirmations = select(func.count()).where(OutboundMessage.order_id == order.id)
        assert db.scalar(confirmations) >= 1, order.number


def stored_bodies(db: Session, provider: str, message_id: str) -> list[str]:
    db.rollback()  # a new transaction: see what the app committed since
    query = select(InboundMessage.body).where(
        InboundMessage.provider == provider, InboundMessage.provider_message_id == message_id
    )
    return list(db.scalars(query))


def check_each(db: Session, caplog, post: Callable[[], None]) -> None:
    caplog.clear()
    post()
    assert_nothing_logged_as_error(caplog)
    assert_nothing_half_written(db)


# ---------------------------------------------------------------- the webhooks


@pytest.fixture
def clients(app_for):
    """One app (and client) a provider, made once per test and kept across its examples."""
    made = {}
    return lambda provider: made.setdefault(provider, app_for(provider).test_client())


USSD_FIELDS = {
    "sessionId": st.sampled_from(["ATUid_a1", "ATUid_b2", "ATUid_c3"]),
    "phoneNumber": PHONES,
    "serviceCode": st.just("*384*21#"),
    "networkCode": st.just("51010"),
    "text": USSD_TEXTS,
}


@FUZZ
@given(request=forms(USSD_FIELDS))
def test_ussd_answers_con_or_end_within_a_screen(clients, db, caplog, request):
    form, well_formed = request
    client = clients("log")

    def post():
        response = client.post(f"/africastalking/ussd?token={AT_TOKEN}", data=form)
        assert_valid_status(response, well_formed)
        if response.status_code == 200:
            body = response.get_data(as_text=True)
            assert body.startswith(("CON ", "END ")) and len(body) <= 182, body

    check_each(db, caplog, post)


def twilio_post(client, path: str, form: dict[str, str]):
    """Post as Twilio does: signed over the public URL and every parameter."""
    signature = RequestValidator(fp.TWILIO_TOKEN).compute_signature(PUBLIC_BASE_URL + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


TWILIO_VOICE_FIELDS = {
    "CallSid": hex_sid("CA"),
    "AccountSid": st.just(fp.TWILIO_SID),
    "From": PHONES,
    "To": st.just("+6236321234"),
    "CallStatus": st.just("in-progress"),
    "Digits": DIGITS,
}


@FUZZ
@given(
    request=forms(TWILIO_VOICE_FIELDS),
    step=st.one_of(st.none(), st.integers(0, 40)),
    silence=st.integers(0, 4),
)
def test_twilio_voice_answers_well_formed_twiml(clients, db, caplog, request, step, silence):
    form, well_formed = request
    client = clients("twilio")
    path = "/twilio/voice" + (f"?step={step}&silence={silence}" if step is not None else "")

    def post():
        response = twilio_post(client, path, form)
        assert_valid_status(response, well_formed)
        if response.status_code == 200:
            assert ET.fromstring(response.data).tag == "Response"

    check_each(db, caplog, post)


AT_VOICE_FIELDS = {
    "isActive": st.sampled_from(["1", "1", "1", "0"]),
    "sessionId": st.sampled_from(["ATVId_a1", "ATVId_b2"]),
    "callerNumber": PHONES,
    "destinationNumber": st.just("+6236321234"),
    "direction": st.just("Inbound"),
    "dtmfDigits": DIGITS,
}


@FUZZ
@given(request=forms(AT_VOICE_FIELDS), step=st.one_of(st.none(), st.integers(0, 40)))
def test_africastalking_voice_answers_well_formed_xml(clients, db, caplog, request, step):
    form, well_formed = request
    client = clients("log")
    query = f"?token={AT_TOKEN}" + (f"&step={step}" if step is not None else "")

    def post():
        response = client.post("/africastalking/voice" + query, data=form)
        assert_valid_status(response, well_formed)
        if response.status_code == 200:
            assert ET.fromstring(response.data).tag == "Response"

    check_each(db, caplog, post)


@contextmanager
def stored_once(db, provider: str, message_id: str, sender: str, body: str):
    """Around a post of an SMS as the provider sends it: it is stored with its text, exactly
    once; the same id again (a provider's retry) changes nothing."""
    before = stored_bodies(db, provider, message_id)
    yield
    after = stored_bodies(db, provider, message_id)
    if before:
        assert after == before
    elif sender != "anonymous":  # not a number: nobody to answer, nothing kept
        assert after == [storable(body)]


TWILIO_SMS_FIELDS = {
    "MessageSid": new_sid("SM"),
    "AccountSid": st.just(fp.TWILIO_SID),
    "From": PHONES,
    "To": st.just("+15005550006"),
    "Body": SMS_TEXTS,
    "NumMedia": st.just("0"),
    "NumSegments": st.just("1"),
    "SmsStatus": st.just("received"),
}


@FUZZ
@given(request=forms(TWILIO_SMS_FIELDS))
def test_twilio_sms_answers_well_formed_twiml_and_keeps_the_text(clients, db, caplog, request):
    form, well_formed = request
    client = clients("twilio")

    def post():
        kept = nullcontext()
        if well_formed:
            kept = stored_once(db, "twilio", form["MessageSid"], form["From"], form["Body"])
        with kept:
            response = twilio_post(client, "/twilio/sms", form)
        assert_valid_status(response, well_formed)
        if response.status_code == 200:
            assert ET.fromstring(response.data).tag == "Response"

    check_each(db, caplog, post)


AT_SMS_FIELDS = {
    "from": PHONES,
    "to": st.just("21234"),
    "text": SMS_TEXTS,
    "date": st.just("2026-11-30 10:00:00"),
    "id": st.uuids().map(str),
    "linkId": st.just(""),
}


@FUZZ
@given(request=forms(AT_SMS_FIELDS))
def test_africastalking_sms_answers_200_or_400_and_keeps_the_text(clients, db, caplog, request):
    form, well_formed = request
    client = clients("africastalking")

    def post():
        kept = nullcontext()
        if well_formed:
            kept = stored_once(db, "africastalking", form["id"], form["from"], form["text"])
        with kept:
            response = client.post(f"/africastalking/sms?token={AT_TOKEN}", data=form)
        assert_valid_status(response, well_formed)

    check_each(db, caplog, post)


# SMS Gateway for Android's JSON: any JSON value where a field should be, not only text.
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=8,
)
ANDROID_ID = st.from_regex(r"[A-Za-z0-9_-]{21}", fullmatch=True)


@st.composite
def android_events(draw: st.DrawFn) -> tuple[dict, bool]:
    """An event as the phone posts it (and True), or one with any field of any JSON (False)."""
    event = {
        "event": draw(st.sampled_from(["sms:received", "sms:received", "sms:sent", "sms:failed"])),
        "id": draw(ANDROID_ID),
        "deviceId": "dev-1",
        "webhookId": "wh-1",
        "payload": {
            "messageId": draw(ANDROID_ID),
            "message": draw(SMS_TEXTS),
            "phoneNumber": draw(PHONES),
            "simNumber": 1,
            "receivedAt": "2026-11-30T10:00:00.000+08:00",
        },
    }
    if draw(st.booleans()):
        return event, True
    part = draw(st.sampled_from(["event", "payload"]))
    target = event if part == "event" else event["payload"]
    target[draw(st.sampled_from(sorted(target)))] = draw(ANY_JSON)
    return event, False


@FUZZ
@given(request=android_events())
def test_android_answers_200_or_400_and_keeps_the_text(clients, db, caplog, request):
    event, well_formed = request
    client = clients("android")
    raw = json.dumps(event).encode()
    kept = nullcontext()
    if well_formed and event["event"] == "sms:received":
        payload = event["payload"]
        key = "|".join((event["id"], payload["messageId"], payload["receivedAt"]))
        kept = stored_once(db, "android", key, payload["phoneNumber"], payload["message"])

    def post():
        timestamp = str(phone_time(client))
        signature = hmac.new(ANDROID_KEY.encode(), raw + timestamp.encode(), "sha256")
        with kept:
            response = client.post(
                "/android/sms",
                data=raw,
                content_type="application/json",
                headers={"X-Signature": signature.hexdigest(), "X-Timestamp": timestamp},
            )
        assert_valid_status(response, well_formed)

    check_each(db, caplog, post)


DELIVERY_FIELDS = {
    "id": st.from_regex(r"ATXid_[0-9a-f]{8}", fullmatch=True),
    "status": st.sampled_from(["Sent", "Submitted", "Buffered", "Rejected", "Success", "Failed"]),
    "phoneNumber": PHONES,
    "networkCode": st.just("51010"),
    "failureReason": st.sampled_from(["", "InsufficientCredit", "UserInBlacklist"]),
    "retryCount": st.sampled_from(["0", "1"]),
}


@FUZZ
@given(
    at=forms(DELIVERY_FIELDS),
    twilio=forms(
        {
            "MessageSid": new_sid("SM"),
            "AccountSid": st.just(fp.TWILIO_SID),
            "MessageStatus": st.sampled_from(["sent", "delivered", "undelivered", "failed"]),
            "ErrorCode": st.sampled_from(["30003", "30005"]),
        }
    ),
)
def test_delivery_reports_answer_without_an_error(clients, db, caplog, at, twilio):
    def post():
        at_form, at_well_formed = at
        response = clients("africastalking").post(
            f"/africastalking/delivery?token={AT_TOKEN}", data=at_form
        )
        assert_valid_status(response, at_well_formed)
        twilio_form, twilio_well_formed = twilio
        response = twilio_post(clients("twilio"), "/twilio/status", twilio_form)
        assert response.status_code in ({204} if twilio_well_formed else {204, 400})

    check_each(db, caplog, post)
