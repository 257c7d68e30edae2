"""Console accounts that cannot be locked out by others, and sessions that can be ended.

Login tries are counted per account and address (the client's own address behind the proxy),
atomically; logging out, a new password or disabling an account ends every copy of its cookie.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from storage.models import LoginFailure
from tests.integration.test_console import PASSWORD, add_staff, log_in, logged_in, token

NEW_PASSWORD = "nasi-campur-siang"


def cookie_of(client: FlaskClient) -> str:
    """The session cookie a browser holds now (as someone who copied it would)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def with_cookie(app, value: str) -> FlaskClient:
    """Another browser, given a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief


@pytest.fixture
def wayan(app) -> FlaskClient:
    return logged_in(app, "wayan", "operator")


@pytest.fixture
def kadek(app) -> FlaskClient:
    return logged_in(app, "kadek", "admin")


# ----------------------------------------------------------------------------- throttling


def test_behind_the_proxy_each_client_address_is_counted_apart(settings, make_app):
    app = make_app(replace(settings, trusted_proxies=1))
    add_staff(app, "wayan", "operator")
    guesser, owner = app.test_client(), app.test_client()
    # The guesser also writes an address of their own: only the proxy's last entry counts.
    guesser.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7, 203.0.113.5"
    owner.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.44"
    for _ in range(6):
        log_in(guesser, "wayan", "wrong-guess")
    assert log_in(guesser, "wayan").status_code == 429
    assert log_in(owner, "wayan").status_code == 302


def test_without_a_trusted_proxy_the_forwarded_header_is_not_believed(app):
    add_staff(app, "wayan", "operator")
    guesser = app.test_client()
    for n in range(6):
        guesser.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{n}"
        log_in(guesser, "wayan", "wrong-guess")
    assert log_in(guesser, "wayan").status_code == 429


def test_guesses_spread_over_many_addresses_never_lock_the_owner_out(settings, make_app):
    app = make_app(replace(settings, trusted_proxies=1))
    add_staff(app, "wayan", "operator")
    add_staff(app, "kadek", "admin")
    owner = app.test_client()
    owner.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.44"
    assert log_in(owner, "wayan").status_code == 302  # the owner's browser is remembered
    owner.post("/console/logout", data={"csrf_token": token(owner, "/console/")})

    guesser = app.test_client()
    for n in range(25):
        guesser.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{n}"
        log_in(guesser, "wayan", "wrong-guess")
    stranger = app.test_client()
    stranger.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.9"
    assert log_in(stranger, "wayan").status_code == 429  # a new browser waits
    owner.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.45"  # even from a new address
    assert log_in(owner, "wayan").status_code == 302
    assert log_in(stranger, "kadek").status_code == 302  # another account: nothing


def test_a_forged_device_cookie_is_no_key(settings, make_app):
    app = make_app(replace(settings, trusted_proxies=1))
    add_staff(app, "wayan", "operator")
    guesser = app.test_client()
    guesser.set_cookie("console_device", '["wayan", "2099-01-01T00:00:00+00:00"]', path="/console/")
    for n in range(25):
        guesser.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{n}"
        log_in(guesser, "wayan", "wrong-guess")
    guesser.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.99"
    assert log_in(guesser, "wayan").status_code == 429


def test_in_a_burst_no_more_than_five_passwords_are_checked(app, db):
    add_staff(app, "wayan", "operator")
    clients = [app.test_client() for _ in range(20)]
    forms = [
        {"username": "wayan", "password": "wrong-guess", "csrf_token": token(c, "/console/login")}
        for c in clients
    ]
    answers: list[int] = []
    start = threading.Barrier(len(clients))

    def guess(client: FlaskClient, form: dict) -> None:
        start.wait()
        answers.append(client.post("/console/login", data=form).status_code)

    pairs = zip(clients, forms, strict=True)
    threads = [threading.Thread(target=guess, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    checked = answers.count(200)  # "wrong password": its password was checked
    assert len(answers) == 20
    assert checked == 5, answers  # the first five, never more, never none
    assert answers.count(429) == 20 - checked
    # Every checked guess is remembered; no refused one is.
    assert db.scalar(select(func.count()).select_from(LoginFailure)) == checked


def test_a_name_nobody_has_is_neither_logged_nor_stored(app, client, db, caplog):
    log_in(client, "S3cretPassw0rd!", "wrong-guess")
    assert "S3cretPassw0rd" not in caplog.text
    assert "console login failed for an unknown username from 127.0.0.1" in caplog.text
    stored = db.scalars(select(LoginFailure.username)).all()
    assert len(stored) == 1 and "S3cret" not in stored[0].lower()


def test_the_right_password_forgives_the_failures_before_it(app, client):
    add_staff(app, "wayan", "operator")
    for _ in range(4):
        log_in(client, "wayan", "wrong-guess")
    assert log_in(client, "wayan").status_code == 302
    client.post("/console/logout", data={"csrf_token": token(client, "/console/")})
    for _ in range(4):
        log_in(client, "wayan", "wrong-guess")
    assert log_in(client, "wayan").status_code == 302  # 8 failures, never 5 in a row


# ------------------------------------------------------------------------------- sessions


def test_logging_out_ends_every_copy_of_the_cookie(app, wayan):
    copied = cookie_of(wayan)
    wayan.post("/console/logout", data={"csrf_token": token(wayan, "/console/")})
    thief = with_cookie(app, copied)
    answer = thief.get("/console/board")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/console/login")


def test_a_new_password_ends_the_old_sessions(app, wayan):
    copied = cookie_of(wayan)
    result = app.test_cli_runner().invoke(
        args=["staff-password", "--username", "wayan", "--password", NEW_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    assert result.output == "New password saved for wayan; its open sessions have ended.\n"
    assert with_cookie(app, copied).get("/console/").status_code == 302
    assert log_in(app.test_client(), "wayan", PASSWORD).status_code == 200  # the old one
    assert log_in(app.test_client(), "wayan", NEW_PASSWORD).status_code == 302


def test_a_disabled_account_cannot_log_in_and_is_logged_out(app, wayan, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["staff-disable", "--username", "Wayan"])
    assert result.exit_code == 0, result.output
    assert result.output == "Console account wayan disabled; its open sessions have ended.\n"
    assert wayan.get("/console/").status_code == 302
    refused = log_in(app.test_client(), "wayan")
    assert "Nama pengguna atau kata sandi salah." in refused.get_data(as_text=True)
    enabled = runner.invoke(args=["staff-disable", "--username", "wayan", "--enable"])
    assert enabled.output == "Console account wayan may log in again.\n"
    assert log_in(app.test_client(), "wayan").status_code == 302


def test_the_commands_name_an_unknown_account(app):
    runner = app.test_cli_runner()
    for args in (
        ["staff-disable", "--username", "nobody"],
        ["staff-password", "--username", "nobody", "--password", NEW_PASSWORD],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert "Error: no account is called 'nobody'" in result.output
    short = runner.invoke(args=["staff-password", "--username", "x", "--password", "pendek"])
    assert "at least 10 characters" in short.output


def test_an_admin_disables_and_enables_an_account_on_the_staff_page(app, kadek, wayan):
    page = "/console/staff"
    done = kadek.post(
        "/console/staff/wayan/state", data={"action": "disable", "csrf_token": token(kadek, page)}
    )
    assert done.status_code == 302
    shown = kadek.get(page).get_data(as_text=True)
    assert "Akun wayan dinonaktifkan; semua sesinya sudah berakhir." in shown
    assert "nonaktif" in shown
    assert wayan.get("/console/").status_code == 302
    kadek.post(
        "/console/staff/wayan/state", data={"action": "enable", "csrf_token": token(kadek, page)}
    )
    assert log_in(app.test_client(), "wayan").status_code == 302


def test_an_admin_sets_a_password_and_keeps_their_own_session(app, kadek, db):
    page = "/console/staff"
    short = kadek.post(
        "/console/staff/kadek/password", data={"password": "x", "csrf_token": token(kadek, page)}
    )
    assert short.status_code == 400
    assert "Kata sandi minimal 10 karakter." in short.get_data(as_text=True)
    copied = cookie_of(kadek)
    changed = kadek.post(
        "/console/staff/kadek/password",
        data={"password": NEW_PASSWORD, "csrf_token": token(kadek, page)},
    )
    assert changed.status_code == 302
    assert kadek.get(page).status_code == 200  # this browser logged in again
    assert with_cookie(app, copied).get(page).status_code == 302  # other copies ended
    assert log_in(app.test_client(), "kadek", NEW_PASSWORD).status_code == 302


def test_an_admin_cannot_disable_themselves_and_operators_cannot_manage(app, kadek, wayan):
    page = "/console/staff"
    mine = kadek.post(
        "/console/staff/kadek/state", data={"action": "disable", "csrf_token": token(kadek, page)}
    )
    assert mine.status_code == 400
    assert "Anda tidak bisa menonaktifkan akun Anda sendiri." in mine.get_data(as_text=True)
    csrf = token(wayan, "/console/")
    assert (
        wayan.post(
            "/console/staff/kadek/state", data={"action": "disable", "csrf_token": csrf}
        ).status_code
        == 403
    )
    missing = kadek.post(
        "/console/staff/nobody/state", data={"action": "disable", "csrf_token": token(kadek, page)}
    )
    assert missing.status_code == 404
