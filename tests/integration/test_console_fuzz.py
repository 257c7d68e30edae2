"""Every console route and form, fed generated requests (Hypothesis): never a 500.

Logged in as an admin and as an operator, with a valid CSRF token, each example picks a
console route, fills its URL's parts (ids of any size, any text), its query and its form with
the field names the pages use (and any other), as a browser or someone typing into one might,
and checks what a staff member would notice: a page or a clear refusal, never a server error.

`make test` runs a few hundred requests a role, the same ones every time. For a long run,
`TELEPASAR_FUZZ_EXAMPLES=20000 make test` draws that many, new ones each run.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from tests.integration.test_console import add_staff, logged_in, token
from tests.integration.test_webhook_fuzz import ANY_TEXT, FUZZ

# What staff type or a page posts; any of them may be in any form.
FIELDS = [
    "action", "address", "again", "available", "category", "closes_at", "code", "confirm",
    "content", "courier_id", "delivery_fee", "entry", "fee", "kind", "language", "lines",
    "market", "name", "name_en", "next", "number", "opens_at", "part", "password", "phone",
    "price", "q", "trader", "unit", "username",
]  # fmt: skip
TRICKY = st.sampled_from(
    [
        "", "0", "-1", "1", "2", "14000", "9223372036854775807", "9223372036854775808",
        "99999999999999999999999", "1e9", "²", "٣", "06:00", "06:00+05:00", "24:00", "6",
        "1:1:14000", "99999999999999999999:1:1", "1:99999999999999999999:1", "1:1:-5",
        "1:1:14000,1:1:14000", "ya", "tidak", "disable", "enable", "items", "traders",
        "couriers", "markets", "AB", "AB1", "B04", "kadek", "wayan", "0812-3456-7890",
        "+447911123456", "/console/", "/console/%0aX:1", "//evil.example", "https://evil.example",
        "<script>alert(1)</script>", "' OR 1=1 --", "\x00", "x" * 5000,
        "code,trader,name,name_en,unit,price,available\nB04,AB1,Tomat,Tomatoes,kg,15000,ya",
        "code,market,name,category,phone\nAB1,AB,=cmd,sayur,+6285200000001",
    ]
)  # fmt: skip
IDS = st.sampled_from(
    [
        "0", "1", "2", "3", "2147483647", "2147483648", "4294967296", "9223372036854775807",
        "9223372036854775808", "99999999999999999999999",
    ]
)  # fmt: skip
VALUES = st.one_of(TRICKY, IDS, ANY_TEXT)
URL_PART = st.one_of(
    IDS,
    st.integers(min_value=0, max_value=2**70).map(str),
    TRICKY.map(lambda text: quote(text, safe="")),
    ANY_TEXT.map(lambda text: quote(text, safe="")),
)
ARGUMENT = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>")


def console_routes(app: Flask) -> list[tuple[str, str]]:
    """Every (method, rule) of the console but its static files."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or rule.endpoint == "console.static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, rule.rule))
    return sorted(routes)


@st.composite
def console_requests(draw, routes: list[tuple[str, str]]):
    method, rule = draw(st.sampled_from(routes))
    path = ARGUMENT.sub(lambda _: draw(URL_PART), rule)
    query = draw(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=3))
    form = draw(st.dictionaries(st.one_of(st.sampled_from(FIELDS), ANY_TEXT), VALUES, max_size=8))
    as_json = draw(st.booleans()) and "/simulator/" in rule
    return method, path, query, form, as_json


@pytest.fixture
def staff(app) -> dict[str, tuple[FlaskClient, str]]:
    """An admin's and an operator's browser, each with the CSRF token of its session."""
    browsers = {}
    for username, role in (("kadek", "admin"), ("wayan", "operator")):
        client = logged_in(app, username, role)
        browsers[role] = (client, token(client, "/console/"))
    return browsers


@pytest.mark.parametrize("role", ["admin", "operator"])
def test_no_console_request_gets_a_500(app, staff, role, caplog):
    client, csrf = staff[role]
    routes = [route for route in console_routes(app) if "/logout" not in route[1]]
    assert len(routes) > 25

    @FUZZ
    @given(request=console_requests(routes))
    def check(request):
        method, path, query, form, as_json = request
        headers = {"X-CSRFToken": csrf}
        if method == "GET":
            answer = client.get(path, query_string=query, headers=headers)
        elif as_json:
            answer = client.post(path, json=form, headers=headers)
        else:
            answer = client.post(path, data={**form, "csrf_token": csrf}, headers=headers)
        assert answer.status_code < 500, (method, path, query, form, answer.status_code)

    with caplog.at_level(logging.ERROR):
        check()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and "Exception" in r.msg]
    assert errors == []


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/console/language/en?next=/console/%0aX:1", "/console/"),
        ("/console/language/en?next=//evil.example/console/", "/console/"),
        ("/console/language/en?next=/console/board", "/console/board"),
    ],
)
def test_a_bad_next_goes_to_the_consoles_home(client, path, expected):
    answer = client.get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"] == expected


def test_a_bad_next_on_the_login_page_goes_home(app):
    add_staff(app, "wayan", "operator")
    client = app.test_client()
    answer = client.post(
        "/console/login?next=/console/%0aX:1",
        data={
            "username": "wayan",
            "password": "kopi-bali-pagi",
            "csrf_token": token(client, "/console/login"),
        },
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/console/"


@pytest.mark.parametrize("big", ["2147483648", "9223372036854775808", "99999999999999999999999"])
def test_an_id_beyond_the_databases_is_not_found(staff, big):
    client, csrf = staff["admin"]
    for path in (f"/console/callers/{big}", f"/console/orders/{big}/cancel"):
        assert client.post(path, data={"csrf_token": csrf}).status_code == 404
    assigned = client.post("/console/orders/1/assign", data={"csrf_token": csrf, "courier_id": big})
    assert assigned.status_code < 500


@pytest.mark.parametrize("opens", ["06:00+05:00", "6", "06:00:00.5", "25:00", "٠٦:٠٠"])
def test_a_bad_time_in_the_register_is_a_form_error(staff, opens):
    client, csrf = staff["admin"]
    answer = client.post(
        "/console/register/markets/1",
        data={"opens_at": opens, "closes_at": "14:00", "delivery_fee": "10000", "csrf_token": csrf},
    )
    assert answer.status_code == 302
    page = client.get("/console/register").get_data(as_text=True)
    assert "Tulis jam seperti 06:00" in page


def test_a_nul_anywhere_in_console_input_is_a_clear_refusal(app, staff):
    client, csrf = staff["admin"]
    anonymous = app.test_client()
    login = anonymous.post(
        "/console/login",
        data={
            "username": "ab\x00c",
            "password": "x",
            "csrf_token": token(anonymous, "/console/login"),
        },
    )
    assert login.status_code == 400
    for path in ("/console/staff/ab%00c/state", "/console/staff/ab%00c/password"):
        assert client.post(path, data={"action": "disable", "csrf_token": csrf}).status_code == 400
    assert client.get("/console/callers?phone=0812%00").status_code == 400
