"""The call-center console's accounts and caller lookup, through the Flask test client.

Forms are posted as a browser posts them: the page is fetched first and its CSRF token sent
back. Every URL but the login page needs a login; admin pages refuse operators.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Customer, Staff
from tests.sms_phones import Phones

PASSWORD = "kopi-bali-pagi"
CUSTOMER = "+6281234567890"


def add_staff(app, username: str, role: str) -> None:
    result = app.test_cli_runner().invoke(
        args=["staff-add", "--username", username, "--role", role, "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    assert (
        result.output == f"Console account added: {username} ({role}). Log in at /console/login.\n"
    )


def token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def log_in(client: FlaskClient, username: str, password: str = PASSWORD):
    return client.post(
        "/console/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": token(client, "/console/login"),
        },
    )


@pytest.fixture
def operator(app) -> FlaskClient:
    add_staff(app, "wayan", "operator")
    client = app.test_client()
    assert log_in(client, "wayan").status_code == 302
    return client


@pytest.fixture
def admin(app) -> FlaskClient:
    add_staff(app, "kadek", "admin")
    client = app.test_client()
    assert log_in(client, "kadek").status_code == 302
    return client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/console/"),
        ("get", "/console/callers?phone=081234567890"),
        ("get", "/console/staff"),
        ("post", "/console/callers/1"),
        ("post", "/console/logout"),
    ],
)
def test_without_a_login_every_console_url_goes_to_the_login_page(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login?next=")


def test_a_login_leads_where_the_staff_member_was_going(app, client):
    add_staff(app, "wayan", "operator")
    client.get("/console/callers?phone=081234567890")
    response = client.post(
        "/console/login?next=/console/callers?phone%3D081234567890",
        data={
            "username": "Wayan",
            "password": PASSWORD,
            "csrf_token": token(client, "/console/login"),
        },
    )
    assert response.headers["Location"] == "/console/callers?phone=081234567890"
    outside = client.post(
        "/console/login?next=https://evil.example/",
        data={
            "username": "wayan",
            "password": PASSWORD,
            "csrf_token": token(client, "/console/login"),
        },
    )
    assert outside.headers["Location"] == "/console/"


def test_a_form_without_its_csrf_token_gets_400(app, client, operator):
    add_staff(app, "ketut", "operator")
    assert (
        client.post("/console/login", data={"username": "ketut", "password": PASSWORD}).status_code
        == 400
    )
    bad = client.post(
        "/console/login", data={"username": "ketut", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert bad.status_code == 400
    assert "Formulir ini kedaluwarsa atau tidak sah" in bad.get_data(as_text=True)
    assert operator.post("/console/logout").status_code == 400  # logged in, still a token


def test_an_operator_gets_403_on_admin_pages_and_an_admin_sees_the_staff(operator, admin):
    refused = operator.get("/console/staff")
    assert refused.status_code == 403
    assert "Halaman ini hanya untuk admin." in refused.get_data(as_text=True)
    page = admin.get("/console/staff").get_data(as_text=True)
    assert "wayan" in page and "kadek" in page and "admin" in page


def test_logging_out_ends_the_session(operator):
    response = operator.post("/console/logout", data={"csrf_token": token(operator, "/console/")})
    assert response.headers["Location"] == "/console/login"
    assert operator.get("/console/").status_code == 302


def test_wrong_passwords_slow_down_and_are_logged(app, client, clock, caplog):
    add_staff(app, "wayan", "operator")
    for _ in range(5):
        failed = log_in(client, "wayan", "wrong-password")
        assert failed.status_code == 200
        assert "Nama pengguna atau kata sandi salah." in failed.get_data(as_text=True)
    slowed = log_in(client, "wayan")  # even the right password waits now
    assert slowed.status_code == 429
    assert "Terlalu banyak percobaan. Coba lagi dalam 30 detik." in slowed.get_data(as_text=True)
    assert "console login failed for 'wayan' from 127.0.0.1" in caplog.text
    assert "refused: wait 30 s" in caplog.text
    clock.now += dt.timedelta(seconds=31)
    assert log_in(client, "wayan").status_code == 302


def test_many_usernames_from_one_address_slow_down_too(app, client):
    for n in range(5):
        log_in(client, f"tamu{n}", "guess-guess")
    assert log_in(client, "someone-else", "guess-guess").status_code == 429


def test_session_cookies_are_httponly_lax_and_secure_behind_https(settings, make_app):
    app = make_app(replace(settings, public_base_url="https://telepasar.example"))
    add_staff(app, "wayan", "operator")
    client = app.test_client()
    response = log_in(client, "wayan")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


@pytest.mark.parametrize(
    "typed", ["081234567890", "0812 3456 7890", "+62 812-3456-7890", "6281234567890"]
)
def test_a_caller_is_found_by_any_phone_format(app, operator, typed):
    Phones(app).order_by_sms(CUSTOMER, lines="B04 1")
    page = operator.get("/console/callers", query_string={"phone": typed}).get_data(as_text=True)
    assert "<h1>0812-3456-7890</h1>" in page
    assert 'value="Ni Made Sari"' in page
    assert "Pasar Amlapura Barat" in page and "Rp24.000" in page


def test_an_unknown_number_and_a_bad_one(operator):
    unknown = operator.get("/console/callers?phone=081299998888").get_data(as_text=True)
    assert "Belum ada pelanggan dengan nomor 0812-9999-8888." in unknown
    bad = operator.get("/console/callers?phone=12ab")
    assert bad.status_code == 400
    assert "Nomor 12ab tidak dikenali." in bad.get_data(as_text=True)


def test_a_caller_is_corrected_and_html_in_a_name_is_shown_as_text(app, operator, db: Session):
    Phones(app).order_by_sms(CUSTOMER, lines="B04 1")
    customer_id = db.scalars(select(Customer.id)).one()
    page = f"/console/callers?phone={CUSTOMER}"
    saved = operator.post(
        f"/console/callers/{customer_id}",
        data={
            "name": "<script>alert(1)</script> Made",
            "address": "Banjar Kauh, Desa Bugbug",
            "language": "ban",
            "csrf_token": token(operator, page),
        },
    )
    assert saved.status_code == 302
    shown = operator.get(page).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Made" in shown
    assert "Data pelanggan disimpan." in shown
    db.rollback()
    assert db.get(Customer, customer_id).language == "ban"


def test_the_console_speaks_english_on_request(operator):
    operator.get("/console/language/en")
    assert "Find a caller" in operator.get("/console/").get_data(as_text=True)


def test_staff_add_refuses_bad_accounts(app):
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["staff-add", "--username", "wayan", "--role", "admin", "--password", "pendek"]
    )
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    add_staff(app, "wayan", "admin")
    twice = runner.invoke(
        args=["staff-add", "--username", "Wayan", "--role", "admin", "--password", PASSWORD]
    )
    assert twice.exit_code == 1 and "the username 'wayan' is taken" in twice.output
    asked = runner.invoke(
        args=["staff-add", "--username", "made", "--role", "operator"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert asked.exit_code == 0, asked.output


def test_passwords_are_kept_hashed(app, db: Session):
    add_staff(app, "wayan", "operator")
    stored = db.scalars(select(Staff.password_hash)).one()
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
