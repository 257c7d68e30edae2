"""The call-center console through the Flask test client: accounts, caller lookup, order
entry and the dispatch board, messages, the register and its CSV.

Forms are posted as a browser posts them: the page is fetched first and its CSRF token sent
back. Every URL but the login page needs a login; admin pages refuse operators.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Customer, Staff
from tests.conftest import MARKET_CLOSED
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


def entry_form(client: FlaskClient, path: str) -> dict[str, str]:
    """The hidden fields of an order entry page as a browser sends them back: its CSRF token
    and its one-time key."""
    page = client.get(path).get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token|entry)" type="hidden" value="([^"]+)"', page))
    assert set(fields) == {"csrf_token", "entry"}, page
    return fields


def log_in(client: FlaskClient, username: str, password: str = PASSWORD):
    return client.post(
        "/console/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": token(client, "/console/login"),
        },
    )


def logged_in(app, username: str, role: str) -> FlaskClient:
    """A browser of a new console account, logged in."""
    add_staff(app, username, role)
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client


@pytest.fixture
def operator(app) -> FlaskClient:
    return logged_in(app, "wayan", "operator")


@pytest.fixture
def admin(app) -> FlaskClient:
    return logged_in(app, "kadek", "admin")


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


def test_every_console_route_but_the_login_page_needs_a_login(app, client):
    """Walk the app's URL map: a console page added later cannot forget its guard."""
    open_pages = {"console.login", "console.static", "console.language"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or rule.endpoint in open_pages:
            continue
        path = rule.build({name: "1" for name in rule.arguments} | {"kind": "items"})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code == 302, (method, path)
            assert response.headers["Location"].startswith("/console/login?next="), path
            checked += 1
    assert checked >= 20


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
    assert "console login failed for wayan from 127.0.0.1" in caplog.text
    assert "refused: wait 30 s" in caplog.text
    clock.now += dt.timedelta(seconds=31)
    assert log_in(client, "wayan").status_code == 302


def test_one_accounts_failures_cost_another_account_nothing(app, client):
    add_staff(app, "wayan", "operator")
    add_staff(app, "kadek", "admin")
    for _ in range(8):
        log_in(client, "wayan", "guess-guess")
    assert log_in(client, "wayan").status_code == 429
    assert log_in(client, "kadek").status_code == 302  # same address, another account


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
    assert '<h1 class="nowrap">0812-3456-7890</h1>' in page
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


# ---------------------------------------------------------------- order entry and the board


def test_items_are_found_by_name_or_code_across_markets(operator):
    rice = operator.get("/console/items?q=beras").get_json()
    assert {item["market"] for item in rice} == {
        "Pasar Amlapura Barat",
        "Pasar Amlapura Timur",
        "Pasar Subagan",
        "Toko & Warung",
    }
    tomat = operator.get("/console/items?q=tomat").get_json()[0]
    assert (tomat["price_text"], tomat["unit"], tomat["fee"]) == ("Rp14.000", "kg", 10_000)
    assert [item["code"] for item in operator.get("/console/items?q=b0").get_json()][:3] == [
        "B01",
        "B02",
        "B03",
    ]


def item_id(db: Session, code: str) -> int:
    from storage.models import Item

    return db.scalars(select(Item.id).where(Item.code == code)).one()


def test_an_order_entered_for_a_caller_goes_through_the_orders_service(app, operator, db: Session):
    from storage.models import Order, OutboundMessage

    Phones(app).add_courier("+6281311110001", "Pak Made")
    page = "/console/orders/new?phone=0812 3456 7890"
    placed = operator.post(
        "/console/orders",
        data={
            "phone": "0812 3456 7890",
            "name": "Ni Made Sari",
            "address": "Banjar Kauh, Desa Bugbug",
            "lines": f"{item_id(db, 'B04')}:2,{item_id(db, 'B06')}:1",
            **entry_form(operator, page),
        },
    )
    assert placed.status_code == 302 and placed.headers["Location"] == "/console/board"
    db.rollback()
    order = db.scalars(select(Order)).one()
    assert (order.channel, order.total, order.state) == ("console", 54_000, "offered")
    assert db.get(Staff, order.entered_by_id).username == "wayan"
    board = operator.get("/console/board").get_data(as_text=True)
    assert f"Pesanan {order.number} (Rp54.000) diterima" in board
    assert f"<strong>{order.number}</strong>" in board and "ditawarkan ke kurir" in board
    to_customer = db.scalars(select(OutboundMessage.body).where(OutboundMessage.to == CUSTOMER))
    assert f"Pesanan {order.number} diterima" in to_customer.one()


def test_a_caller_with_an_order_on_its_way_is_asked_before_a_second(app, operator, db: Session):
    """The page says the order is still on its way; without the box ticked nothing is placed
    and the cart comes back; ticked (the caller wants another), the second is placed."""
    from storage.models import Order

    phones = Phones(app)
    phones.add_courier("+6281311110001", "Pak Made")  # the first order is offered, on its way
    phones.order_by_sms(CUSTOMER, lines="B04 2")
    first = db.scalars(select(Order)).one()
    page = "/console/orders/new?phone=081234567890"
    warning = (
        f"Penelepon ini masih punya pesanan {first.number} (Rp38.000, ditawarkan ke kurir). "
        "Tanyakan dulu apakah ia ingin pesan lagi."
    )
    assert warning in operator.get(page).get_data(as_text=True)
    order = {
        "phone": "081234567890",
        "name": "Ni Made Sari",
        "address": "Banjar Kauh, Desa Bugbug",
        "lines": f"{item_id(db, 'B04')}:2",
    }

    refused = operator.post("/console/orders", data={**order, **entry_form(operator, page)})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert warning in text and 'name="again"' in text
    said = re.search(r'<p class="error" role="alert" id="refusal"[^>]*>([^<]+)</p>', text)
    assert said[1] == (  # at the cart, in words: nothing was placed
        f"Belum ada pesanan yang dibuat: penelepon masih punya pesanan {first.number}. Bila ia "
        "memang ingin pesan lagi, centang kotak di atas lalu tekan Pesan."
    )
    assert "&#34;quantity&#34;: 2" in text  # the cart, kept
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Order)) == 1

    placed = operator.post(
        "/console/orders", data={**order, "again": "y", **entry_form(operator, page)}
    )
    assert placed.status_code == 302
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Order)) == 2
    board = operator.get("/console/board").get_data(as_text=True)
    assert "Kurir sedang dicari; penelepon diberi tahu kurir akan menelepon." in board


def test_an_order_is_charged_the_prices_the_page_showed_or_shown_again(operator, db: Session):
    """The staff member reads the total out to the caller: a price or fee changed since the
    items were added places nothing, and the page comes back with the cart at today's
    prices, to be read out again."""
    from storage.models import Item, Order

    page = "/console/orders/new"
    tomatoes = item_id(db, "B04")
    caller = {"phone": "081234567890", "name": "Ni Made Sari", "address": "Banjar Kauh, Bugbug"}
    db.execute(Item.__table__.update().where(Item.id == tomatoes).values(price=15_000))
    db.commit()

    stale = operator.post(
        "/console/orders",
        data={
            **caller,
            "lines": f"{tomatoes}:2:14000",
            "fee": "10000",
            **entry_form(operator, page),
        },
    )

    text = stale.get_data(as_text=True)
    assert stale.status_code == 400
    assert "Belum ada pesanan yang dibuat: harga berubah sejak barang ditambahkan." in text
    assert "&#34;price&#34;: 15000" in text and "&#34;quantity&#34;: 2" in text  # the cart, now
    db.rollback()
    assert db.scalars(select(Order)).all() == []
    placed = operator.post(
        "/console/orders",
        data={
            **caller,
            "lines": f"{tomatoes}:2:15000",
            "fee": "10000",
            **entry_form(operator, page),
        },
    )
    assert placed.status_code == 302
    db.rollback()
    assert db.scalars(select(Order.total)).one() == 40_000


def test_after_a_console_order_the_staff_member_reads_what_the_caller_was_told(
    operator, db: Session, clock
):
    """No courier free: the order waits on the board; the market closed: its opening."""
    page = "/console/orders/new"
    order = {"name": "Ni Made Sari", "address": "Banjar Kauh, Desa Bugbug"}
    lines = f"{item_id(db, 'B04')}:1"
    first = {**order, "phone": "081234567890", "lines": lines}
    operator.post("/console/orders", data={**first, **entry_form(operator, page)})
    board = operator.get("/console/board").get_data(as_text=True)
    assert "Belum ada kurir yang siap: pesanan ini menunggu di papan kurir" in board
    clock.now = MARKET_CLOSED
    second = {**order, "phone": "081234567891", "lines": lines}
    operator.post("/console/orders", data={**second, **entry_form(operator, page)})
    board = operator.get("/console/board").get_data(as_text=True)
    assert "Pasar tutup: kurir dicari saat pasar buka 01/12 06.00." in board


def test_an_order_form_sent_twice_places_one_order(app, operator, db: Session):
    """A double click, a second Ctrl+Enter, a browser's resend: one order, one SMS."""
    from storage.models import Order, OutboundMessage

    page = "/console/orders/new"
    form = {
        "phone": "081234567890",
        "name": "Ni Made Sari",
        "address": "Banjar Kauh, Desa Bugbug",
        "lines": f"{item_id(db, 'B04')}:1",
        **entry_form(operator, page),
    }
    first = operator.post("/console/orders", data=form)
    again = operator.post("/console/orders", data=form)
    assert first.status_code == again.status_code == 302
    db.rollback()
    order = db.scalars(select(Order)).one()
    assert f"Formulir ini sudah dikirim: pesanan {order.number} (Rp24.000) sudah dibuat" in (
        operator.get("/console/board").get_data(as_text=True)
    )
    confirmations = select(func.count()).where(
        OutboundMessage.to == CUSTOMER, OutboundMessage.body.contains(" diterima")
    )
    assert db.scalar(confirmations) == 1


def test_an_order_form_sent_twice_at_once_places_one_order(app, db: Session):
    import threading

    from storage.models import Order

    browsers = [logged_in(app, "wayan", "operator")]
    browsers.append(app.test_client())
    browsers[1].set_cookie("session", browsers[0].get_cookie("session").value)
    form = {
        "phone": "081234567890",
        "name": "Ni Made Sari",
        "address": "Banjar Kauh, Desa Bugbug",
        "lines": f"{item_id(db, 'B04')}:1",
        **entry_form(browsers[0], "/console/orders/new"),
    }
    start, answers = threading.Barrier(2), []

    def send(browser: FlaskClient) -> None:
        start.wait()
        answers.append(browser.post("/console/orders", data=form).status_code)

    threads = [threading.Thread(target=send, args=(browser,)) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == [302, 302]
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Order)) == 1


def test_a_form_restored_by_back_for_another_caller_places_nothing_and_says_so(
    operator, db: Session
):
    from storage.models import Order

    keys = entry_form(operator, "/console/orders/new")
    order = {"name": "Ni Made Sari", "address": "Banjar Kauh", "lines": f"{item_id(db, 'B04')}:1"}
    first = operator.post("/console/orders", data={**order, **keys, "phone": "081234567890"})
    assert first.status_code == 302
    again = operator.post("/console/orders", data={**order, **keys, "phone": "081234567891"})
    assert again.status_code == 409
    assert "Halaman ini sudah dipakai untuk pesanan penelepon lain" in again.text
    assert keys["entry"] not in again.text  # a new key for the page
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Order)) == 1


def test_an_order_form_without_its_key_is_refused_and_given_one(operator, db: Session):
    form = {
        "phone": "081234567890",
        "name": "Ni Made Sari",
        "address": "Banjar Kauh, Desa Bugbug",
        "lines": f"{item_id(db, 'B04')}:1",
        "csrf_token": token(operator, "/console/orders/new"),
    }
    refused = operator.post("/console/orders", data={**form, "entry": "short"})
    assert refused.status_code == 400
    assert re.search(r'name="entry" type="hidden" value="[A-Za-z0-9_-]{32}"', refused.text)


def test_order_entry_refuses_what_the_rules_refuse(operator, db: Session):
    page = "/console/orders/new"
    too_much = operator.post(
        "/console/orders",
        data={
            "phone": "081234567890",
            "name": "Ni Made Sari",
            "address": "Banjar Kauh, Desa Bugbug",
            "lines": f"{item_id(db, 'B06')}:20",
            **entry_form(operator, page),
        },
    )
    assert too_much.status_code == 400
    assert "Belanja Rp320.000 lewat batas Rp300.000." in too_much.get_data(as_text=True)
    empty = operator.post(
        "/console/orders",
        data={"phone": "081234567890", "lines": "", **entry_form(operator, page)},
    )
    assert "Keranjang kosong" in empty.get_data(as_text=True)


def test_the_board_gives_an_order_to_a_courier_by_hand(app, operator, db: Session):
    from storage.models import Order

    phones = Phones(app)
    phones.add_courier("+6281311110001", "Pak Made", ready=False)  # resting: not offered
    number = phones.order_by_sms(CUSTOMER, lines="B04 1")
    db.rollback()
    order = db.scalars(select(Order)).one()
    assert order.state == "unassigned"
    board = operator.get("/console/board").get_data(as_text=True)
    assert 'class="state-unassigned urgent"' in board and "tanpa kurir" in board
    courier_id = phones_courier_id(db)

    given = operator.post(
        f"/console/orders/{order.id}/assign",
        data={"courier_id": courier_id, "csrf_token": token(operator, "/console/board")},
    )
    assert given.status_code == 302
    db.rollback()
    assert db.get(Order, order.id).state == "assigned"
    assert phones.inbox("+6281311110001")[-1].startswith(f"Pesanan {number} untuk Anda.")
    assert "diambil kurir Pak Made" in phones.inbox(CUSTOMER)[-1]

    cancelled = operator.post(
        f"/console/orders/{order.id}/cancel", data={"csrf_token": token(operator, "/console/board")}
    )
    assert cancelled.status_code == 302
    assert phones.inbox(CUSTOMER)[-1] == (
        f"Telepasar: Pesanan {number} dibatalkan oleh petugas kami. Maaf atas ketidaknyamanannya."
    )
    assert phones.inbox("+6281311110001")[-1] == (
        f"Pesanan {number} dibatalkan oleh call center. Jangan dibelanjakan."
    )


def test_the_board_lists_the_free_couriers_of_the_orders_market_first(app, operator, db):
    from storage.models import Order

    phones = Phones(app)
    phones.add_courier("+6281311110009", "Bli Wayan", market="AT")  # free, another market
    phones.add_courier("+6281311110008", "Pak Ketut", ready=False)  # this market, resting
    number = phones.order_by_sms(CUSTOMER, lines="B04 1")  # AB: nobody free there
    db.rollback()
    order = db.scalars(select(Order)).one()
    assert order.state == "offered"  # to every market at once, Bli Wayan has it
    board = operator.get("/console/board").get_data(as_text=True)
    row = board[board.index(f'data-number="{number}"') :]
    # Nobody is free at AB: no courier is chosen for the operator, the others are marked.
    assert re.search(r'<option value="" selected disabled>pilih kurir</option>', row)
    assert "Siap di pasar AB" not in row
    assert "Bli Wayan (AT, pasar lain)" in row and "Pak Ketut (AB, istirahat)" in row

    phones.add_courier("+6281311110007", "Pak Made")  # free at AB: first, and chosen
    board = operator.get("/console/board").get_data(as_text=True)
    row = board[board.index(f'data-number="{number}"') :]
    here, others = row.index('label="Siap di pasar AB"'), row.index('label="Kurir lain"')
    assert here < row.index("Pak Made (AB)") < others < row.index("Bli Wayan (AT, pasar lain)")
    assert "pilih kurir" not in row[: row.index("</select>")]

    refused = operator.post(
        f"/console/orders/{order.id}/assign",
        data={"courier_id": "", "csrf_token": token(operator, "/console/board")},
        follow_redirects=True,
    )
    assert f"Pilih dulu kurir untuk pesanan {number}." in refused.get_data(as_text=True)


def test_a_closed_market_is_said_and_an_order_given_by_hand_then_is_not_shopped(
    app, operator, db: Session, clock
):
    from storage.models import Order

    phones = Phones(app)
    phones.add_courier("+6281311110001", "Pak Made")
    clock.now = MARKET_CLOSED  # Monday 16:00 WITA: AB opens on Tuesday at 06:00
    number = phones.order_by_sms(CUSTOMER, lines="B04 1")
    db.rollback()
    order = db.scalars(select(Order)).one()
    assert order.state == "placed"  # waits for the opening
    board = operator.get("/console/board").get_data(as_text=True)
    row = board[board.index(f'data-number="{number}"') :]
    assert "pasar tutup, buka 01/12 06.00" in row
    assert (
        f'data-confirm="Pasar Amlapura Barat sedang tutup (buka 01/12 06.00). Berikan pesanan '
        f"{number} sekarang?" in row
    )

    given = operator.post(
        f"/console/orders/{order.id}/assign",
        data={"courier_id": phones_courier_id(db), "csrf_token": token(operator, "/console/board")},
    )
    assert given.status_code == 302
    told = phones.inbox(CUSTOMER)[-1]
    assert told == (
        f"Telepasar: Pesanan {number} diambil kurir Pak Made (0813-1111-0001). Kurir "
        "berbelanja setelah pasar buka Selasa 06.00."
    )
    assert "sedang berbelanja" not in " ".join(phones.inbox(CUSTOMER))


def phones_courier_id(db: Session) -> int:
    from storage.models import Courier

    db.rollback()
    return db.scalars(select(Courier.id)).one()


def test_the_board_offers_again_only_when_someone_is_free(app, operator, db: Session):
    from storage.models import Order

    phones = Phones(app)
    number = phones.order_by_sms(CUSTOMER, lines="B04 1")
    db.rollback()
    order_id = db.scalars(select(Order.id)).one()
    none = operator.post(
        f"/console/orders/{order_id}/reoffer",
        data={"csrf_token": token(operator, "/console/board")},
    )
    assert none.status_code == 302
    assert f"Tidak ada kurir yang siap untuk pesanan {number}." in operator.get(
        "/console/board"
    ).get_data(as_text=True)
    phones.add_courier("+6281311110001", "Pak Made")
    operator.post(
        f"/console/orders/{order_id}/reoffer",
        data={"csrf_token": token(operator, "/console/board")},
    )
    db.rollback()
    assert db.get(Order, order_id).state == "offered"
    assert phones.inbox("+6281311110001")[-1].endswith(f"Balas YA {number}")


# ---------------------------------------------------------------- messages


def dead_message(app) -> int:
    from domain.messaging.outbox import enqueue_sms

    with app.extensions["telepasar_db"].unit_of_work() as session:
        message = enqueue_sms(
            session,
            to=CUSTOMER,
            body="Telepasar: uji",
            kind="reply",
            now=app.config["TELEPASAR_CLOCK"](),
        )
        session.flush()
        message.state, message.attempts, message.last_error = "dead", 6, "Twilio 21610: opted out"
        return message.id


def test_dead_sms_are_listed_with_their_error_and_sent_again(app, operator, db: Session):
    from storage.models import OutboundMessage

    message_id = dead_message(app)
    page = operator.get("/console/messages").get_data(as_text=True)
    assert "Twilio 21610: opted out" in page and "gagal, tidak dicoba lagi (6)" in page
    assert "+62812****7890" in page and "0812-3456-7890" not in page  # masked for operators
    again = operator.post(
        f"/console/messages/{message_id}/retry",
        data={"csrf_token": token(operator, "/console/messages")},
    )
    assert again.status_code == 302
    db.rollback()
    message = db.get(OutboundMessage, message_id)
    assert (message.state, message.attempts) == ("pending", 0)
    assert "SMS akan dikirim ulang oleh worker." in operator.get("/console/messages").get_data(
        as_text=True
    )


def test_operators_see_numbers_masked_on_the_board_and_in_threads(app, operator):
    phones = Phones(app)
    phones.add_courier("+6281311110001", "Pak Made")
    number = phones.order_by_sms(CUSTOMER, lines="B04 1")
    phones.send("+6281311110001", f"YA {number}")  # the job sheet names the customer's number
    board = operator.get("/console/board").get_data(as_text=True)
    assert number in board
    assert "0812-3456-7890" not in board and "+62812****7890" in board
    thread = operator.get("/console/messages/thread?phone=081311110001").get_data(as_text=True)
    assert f"Pesanan {number} untuk Anda." in thread  # the job sheet
    assert "3456-7890" not in thread and "6281234567890" not in thread
    assert "+62813****0001" in thread


def test_an_error_naming_a_number_is_masked_for_operators(app, operator, db: Session):
    from storage.models import OutboundMessage

    message = db.get(OutboundMessage, dead_message(app))
    message.last_error = "Twilio 21211: The 'To' number +6281234567890 is not a valid number"
    db.commit()
    page = operator.get("/console/messages").get_data(as_text=True)
    assert "Twilio 21211" in page and "6281234567890" not in page


def test_an_admin_sees_whole_numbers_and_a_thread(app, admin):
    dead_message(app)
    Phones(app).send(CUSTOMER, "BANTUAN")
    assert "0812-3456-7890" in admin.get("/console/messages").get_data(as_text=True)
    thread = admin.get("/console/messages/thread?phone=0812 3456 7890").get_data(as_text=True)
    assert 'SMS dengan nomor <span class="nowrap">0812-3456-7890</span>' in thread
    assert "BANTUAN" in thread and "Telepasar: PASAR daftar pasar" in thread
    assert thread.index("BANTUAN") < thread.index("Telepasar: PASAR daftar pasar")


# ---------------------------------------------------------------- the register


def test_the_register_is_for_admins_only(operator):
    assert operator.get("/console/register").status_code == 403
    assert operator.get("/console/register/items.csv").status_code == 403
    refused = operator.post(
        "/console/register/import", data={"csrf_token": token(operator, "/console/")}
    )
    assert refused.status_code == 403


def test_an_admin_edits_prices_hours_phones_and_couriers(app, admin, db: Session):
    from storage.models import Courier, Item, Market, Vendor

    page = admin.get("/console/register?q=tomat").get_data(as_text=True)
    assert "B04" in page and "Tomat" in page
    b04 = db.scalars(select(Item).where(Item.code == "B04")).one()
    csrf = token(admin, "/console/register")
    admin.post(
        f"/console/register/items/{b04.id}",
        data={"price": "15.000", "available": "tidak", "csrf_token": csrf},
    )
    ab1 = db.scalars(select(Vendor).where(Vendor.code == "AB1")).one()
    admin.post(
        f"/console/register/traders/{ab1.id}",
        data={"name": "Bu Komang", "phone": "0852 0000 0001", "csrf_token": csrf},
    )
    ab = db.scalars(select(Market).where(Market.code == "AB")).one()
    admin.post(
        f"/console/register/markets/{ab.id}",
        data={
            "opens_at": "05:30",
            "closes_at": "13:00",
            "delivery_fee": "12000",
            "csrf_token": csrf,
        },
    )
    admin.post(
        "/console/register/couriers",
        data={"name": "Pak Made", "phone": "081311110001", "market": "AB", "csrf_token": csrf},
    )
    db.rollback()
    assert (db.get(Item, b04.id).price, db.get(Item, b04.id).available) == (15_000, False)
    assert db.get(Vendor, ab1.id).phone == "+6285200000001"
    market = db.get(Market, ab.id)
    assert (market.opens_at, market.delivery_fee) == (dt.time(5, 30), 12_000)
    assert db.scalars(select(Courier.name)).one() == "Pak Made"
    # Every channel sees it at once: the SMS menu no longer offers the sold-out item.
    assert "Tomat" not in Phones(app).send(CUSTOMER, "MENU AB1")
    bad = admin.post(
        f"/console/register/markets/{ab.id}",
        data={"opens_at": "14:00", "closes_at": "06:00", "delivery_fee": "1", "csrf_token": csrf},
    )
    assert bad.status_code == 302
    assert "jam buka tidak setelah jam tutup" in admin.get("/console/register").get_data(
        as_text=True
    )
    twelve_hour = admin.post(
        f"/console/register/markets/{ab.id}",
        data={"opens_at": "6 AM", "closes_at": "14.00", "delivery_fee": "1", "csrf_token": csrf},
    )
    assert twelve_hour.status_code == 302
    assert "Tulis jam seperti 06:00" in admin.get("/console/register").get_data(as_text=True)
    all_day = admin.post(
        f"/console/register/markets/{ab.id}",
        data={"opens_at": "00.00", "closes_at": "00:00", "delivery_fee": "0", "csrf_token": csrf},
    )
    assert all_day.status_code == 302
    db.rollback()
    assert (db.get(Market, ab.id).opens_at, db.get(Market, ab.id).closes_at) == (
        dt.time(0, 0),
        dt.time(0, 0),
    )  # open around the clock, written the Indonesian way


def test_items_export_and_import_round_trip(admin):
    exported = admin.get("/console/register/items.csv")
    assert exported.headers["Content-Disposition"] == "attachment; filename=telepasar-items.csv"
    text = exported.get_data(as_text=True)
    assert text.splitlines()[0] == "code,trader,name,name_en,unit,price,available"
    assert "B04,AB1,Tomat,Tomatoes,kg,14000,ya" in text
    assert len(text.splitlines()) == 80  # the header and 79 items


def upload(client: FlaskClient, kind: str, text: str, **extra: str):
    import io

    return client.post(
        "/console/register/import",
        data={
            "kind": kind,
            "file": (io.BytesIO(text.encode()), f"{kind}.csv"),
            "csrf_token": token(client, "/console/register"),
            **extra,
        },
        content_type="multipart/form-data",
    )


def test_an_import_with_one_bad_row_imports_nothing_and_names_the_row(admin, db: Session):
    from storage.models import Item

    csv_text = (
        "code,trader,name,name_en,unit,price,available\n"
        "B04,AB1,Tomat,Tomatoes,kg,15000,ya\n"
        "B90,AB1,Terong,Eggplant,kg,12000,ya\n"
        "B91,AB9,Labu,Pumpkin,biji,-5,mungkin\n"
    )
    preview = upload(admin, "items", csv_text)
    assert preview.status_code == 400
    page = preview.get_data(as_text=True)
    assert "Tidak ada yang diimpor" in page
    # Every word in the staff member's language, the file's values quoted.
    assert "pedagang “AB9” belum terdaftar" in page
    assert "satuan “biji” tidak dikenal" in page
    assert "harga “-5”: rupiah bulat, Rp100 sampai Rp300.000" in page
    assert "tersedia “mungkin”: tulis ya atau tidak" in page
    assert '<tr class="wrong action-add"><td>4</td>' in page  # the row is named by its line
    assert "Harga: 14000 &rarr; <strong>15000</strong>" in page  # only what changes
    forced = admin.post(
        "/console/register/import",
        data={
            "kind": "items",
            "content": csv_text,
            "confirm": "1",
            "csrf_token": token(admin, "/console/register"),
        },
    )
    assert forced.status_code == 400  # a confirm of a wrong file is checked again
    db.rollback()
    assert db.scalars(select(Item).where(Item.code == "B90")).first() is None
    assert db.scalars(select(Item.price).where(Item.code == "B04")).one() == 14_000


def test_a_good_import_is_previewed_then_applied_whole(admin, db: Session):
    from storage.models import Item, Vendor

    traders = "code,market,name,category,phone\nAB7,AB,Men Rai,sayur,0852 0000 0007\n"
    preview = upload(admin, "traders", traders)
    assert preview.status_code == 200 and "Semua 1 baris benar." in preview.get_data(as_text=True)
    applied = admin.post(
        "/console/register/import",
        data={
            "kind": "traders",
            "content": traders,
            "confirm": "1",
            "csrf_token": token(admin, "/console/register"),
        },
    )
    assert applied.status_code == 302
    items = (
        "code,trader,name,name_en,unit,price,available\n"
        "B90,AB7,Terong,Eggplant,kg,12.000,ya\n"
        "B04,AB1,Tomat,Tomatoes,kg,15000,tidak\n"
    )
    assert upload(admin, "items", items).status_code == 200
    admin.post(
        "/console/register/import",
        data={
            "kind": "items",
            "content": items,
            "confirm": "1",
            "csrf_token": token(admin, "/console/register"),
        },
    )
    assert "2 baris diimpor: 1 baru, 1 berubah, 0 sama." in admin.get("/console/register").get_data(
        as_text=True
    )
    db.rollback()
    assert db.scalars(select(Vendor.phone).where(Vendor.code == "AB7")).one() == "+6285200000007"
    terong = db.scalars(select(Item).where(Item.code == "B90")).one()
    assert (terong.price, terong.vendor.code, terong.available) == (12_000, "AB7", True)
    assert db.scalars(select(Item.available).where(Item.code == "B04")).one() is False


def test_the_import_preview_lists_only_what_changes(admin):
    """The whole register exported and imported back with one price changed: one row is
    listed, with that one field before and after; the other 78 are counted as the same."""
    text = admin.get("/console/register/items.csv").get_data(as_text=True)
    changed = text.replace(
        "B04,AB1,Tomat,Tomatoes,kg,14000,ya", "B04,AB1,Tomat,Tomatoes,kg,15000,ya"
    )
    page = upload(admin, "items", changed).get_data(as_text=True)
    assert "Semua 79 baris benar. 0 baru, 1 berubah, 78 sama." in page
    rows = re.findall(r'<tr class=" action-(\w+)"><td>(\d+)</td><td>(\w+)</td><td>(\w+)</td>', page)
    assert rows == [("change", "5", "ubah", "B04")]
    assert "Harga: 14000 &rarr; <strong>15000</strong>" in page
    assert "Nama: Tomat" not in page  # fields that stay are not listed


def test_a_file_without_the_columns_is_refused(admin):
    refused = upload(admin, "items", "kode;nama\nB04;Tomat\n")
    assert refused.status_code == 400
    assert "baris pertama harus menamai kolom code, trader, name" in refused.get_data(as_text=True)


# ---------------------------------------------------------------- today at a glance


def test_today_at_a_glance_counts_and_times_orders(app, operator, clock):
    phones = Phones(app)
    phones.add_courier("+6281311110001", "Pak Made")
    first = phones.order_by_sms(CUSTOMER, lines="B04 1")
    clock.now += dt.timedelta(minutes=4)
    phones.send("+6281311110001", f"YA {first}")
    phones.send("+6281311110001", f"AMBIL {first}")
    clock.now += dt.timedelta(minutes=26)
    phones.send("+6281311110001", f"SELESAI {first}")
    second = phones.order_by_sms("+6281234567891", lines="T01 1")
    clock.now += dt.timedelta(minutes=2, seconds=30)
    phones.send("+6281311110001", f"YA {second}")

    page = operator.get("/console/glance").get_data(as_text=True)
    rows = re.findall(r"<tr[^>]*><th>([^<]+)</th><td>([^<]*)</td><td>([^<]*)</td></tr>", page)
    figures = {label: (today, week) for label, today, week in rows}
    assert figures["Pesanan"] == ("2", "2")
    # Minutes as Indonesian writes them: a decimal comma, no ".0".
    assert figures["Sampai dapat kurir (median / terlama)"][0] == "3,2 mnt / 4 mnt"
    assert figures["Sampai di pintu (median / terlama)"][0] == "30 mnt / 30 mnt"
    assert page.count("<rect ") == 7 + 2 + 1  # seven days, two markets, one channel
    labels = re.findall(r'<span class="label">([^<]+)</span>', page)
    assert labels[7:] == ["Pasar Amlapura Barat", "Pasar Amlapura Timur", "SMS"]  # whole names
    english = operator.get("/console/language/en", follow_redirects=True)
    assert english.status_code == 200
    page = operator.get("/console/glance").get_data(as_text=True)
    assert "3.2 min / 4 min" in page and "Orders per channel, 7 days" in page


def test_the_register_checks_a_number_says_it_as_typed_and_notes_who_else_has_it(
    app, admin, db: Session
):
    from storage.models import Courier, Vendor

    csrf = token(admin, "/console/register")
    courier = {"name": "Pak Made", "market": "AB", "csrf_token": csrf}
    admin.post("/console/register/couriers", data={**courier, "phone": "+1 415 555 0100"})
    page = admin.get("/console/register").get_data(as_text=True)
    assert "+1 415 555 0100 bukan nomor ID (PHONE_REGION)" in page  # as typed, not masked
    admin.post("/console/register/couriers", data={**courier, "phone": "0812 34"})
    assert "Nomor 0812 34 tidak dikenali" in admin.get("/console/register").get_data(as_text=True)
    db.rollback()
    assert db.scalars(select(Courier)).all() == []

    trader = db.scalars(select(Vendor).where(Vendor.code == "AB1")).one()
    admin.post(
        f"/console/register/traders/{trader.id}",
        data={"name": trader.name, "phone": "0813 1111 0001", "csrf_token": csrf},
    )
    admin.post("/console/register/couriers", data={**courier, "phone": "081311110001"})
    page = admin.get("/console/register").get_data(as_text=True)
    assert f"Catatan: 0813-1111-0001 juga nomor pedagang {trader.name} (AB1)." in page
    admin.post(
        f"/console/register/traders/{trader.id}",
        data={"name": trader.name, "phone": "+14155550100", "csrf_token": csrf},
    )
    assert "+14155550100 bukan nomor ID" in admin.get("/console/register").get_data(as_text=True)
    db.rollback()
    assert db.get(Vendor, trader.id).phone == "+6281311110001"  # kept
    assert db.scalars(select(Courier.phone)).all() == ["+6281311110001"]


def test_an_admin_adds_a_market_a_trader_and_an_item_one_at_a_time(app, admin, db: Session):
    from storage.models import Item, Market, Vendor

    csrf = token(admin, "/console/register")
    admin.post(
        "/console/register/markets",
        data={
            "code": "kr",
            "name": "Pasar Karangsokong",
            "opens_at": "05:00",
            "closes_at": "11:00",
            "delivery_fee": "8000",
            "csrf_token": csrf,
        },
    )
    admin.post(
        "/console/register/traders/add",
        data={
            "code": "KR1",
            "market": "KR",
            "name": "Men Sari",
            "category": "sayur",
            "phone": "0852 0000 0009",
            "csrf_token": csrf,
        },
    )
    admin.post(
        "/console/register/items/add",
        data={
            "code": "K01",
            "trader": "KR1",
            "name": "Terong",
            "name_en": "Eggplant",
            "unit": "kg",
            "price": "12000",
            "available": "ya",
            "csrf_token": csrf,
        },
    )
    refused = admin.post(
        "/console/register/items/add",
        data={
            "code": "K02",
            "trader": "KR1",
            "name": "Labu",
            "name_en": "Pumpkin",
            "unit": "biji",
            "price": "9000",
            "available": "ya",
            "csrf_token": csrf,
        },
    )
    assert refused.status_code == 302
    assert "Tidak ditambahkan: satuan \u201cbiji\u201d tidak dikenal" in admin.get(
        "/console/register"
    ).get_data(as_text=True)
    twice = admin.post(
        "/console/register/markets",
        data={
            "code": "KR",
            "name": "X",
            "opens_at": "05:00",
            "closes_at": "11:00",
            "delivery_fee": "0",
            "csrf_token": csrf,
        },
    )
    assert twice.status_code == 302
    assert "Kode pasar KR sudah dipakai." in admin.get("/console/register").get_data(as_text=True)
    db.rollback()
    market = db.scalars(select(Market).where(Market.code == "KR")).one()
    assert (market.name, market.delivery_fee, market.opens_at) == (
        "Pasar Karangsokong",
        8_000,
        dt.time(5),
    )
    assert db.scalars(select(Vendor.phone).where(Vendor.code == "KR1")).one() == "+6285200000009"
    assert db.scalars(select(Item.price).where(Item.code == "K01")).one() == 12_000
    assert db.scalars(select(Item).where(Item.code == "K02")).first() is None
    # The new market is on every channel at once.
    assert "Pasar Karangsokong" in Phones(app).send(CUSTOMER, "PASAR")


def test_a_csv_over_the_upload_limit_is_refused_with_a_page_saying_so(admin):
    refused = admin.post(
        "/console/register/import",
        data={"kind": "items", "content": "x" * (2 * 1024 * 1024), "csrf_token": "any"},
    )
    assert refused.status_code == 413
    assert "Berkas terlalu besar (paling besar 2 MB)." in refused.get_data(as_text=True)


def test_an_export_never_opens_as_a_formula_and_still_reads_back(admin, db: Session):
    from storage.models import Vendor

    formula = '=HYPERLINK("http://evil.example","klik")'
    vendor = db.scalars(select(Vendor).where(Vendor.code == "AB1")).one()
    vendor.name, vendor.phone = formula, "+6285200000001"
    db.commit()
    text = admin.get("/console/register/traders.csv").get_data(as_text=True)
    cells = [cell for line in text.splitlines()[1:] for cell in line.split(",")]
    assert not any(cell.lstrip('"').startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'+6285200000001" in text and "'=HYPERLINK" in text

    preview = upload(admin, "traders", text)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    applied = admin.post(
        "/console/register/import",
        data={
            "kind": "traders",
            "content": text,
            "confirm": "1",
            "csrf_token": token(admin, "/console/register"),
        },
    )
    assert applied.status_code == 302
    db.rollback()
    vendor = db.scalars(select(Vendor).where(Vendor.code == "AB1")).one()
    assert (vendor.name, vendor.phone) == (formula, "+6285200000001")


@pytest.mark.parametrize(
    "path", ["/console/login", "/console/", "/console/no-such-page", "/console/board"]
)
def test_every_console_answer_forbids_framing_and_foreign_scripts(admin, path):
    from console import SECURITY_HEADERS

    headers = admin.get(path).headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "media-src 'self' https:;" in policy  # a caller's recorded address still plays
    assert headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]


def test_no_console_template_has_inline_script_or_style():
    from pathlib import Path

    templates = Path(__file__).parents[2] / "gateway" / "console" / "templates" / "console"
    for template in templates.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script>|<style|style=\"| on[a-z]+=\"", text), template.name


def test_an_unassigned_order_stays_on_the_board_however_old(app, operator, clock, db: Session):
    """It keeps its number until staff give it to a courier or cancel it: it must be seen."""
    phones = Phones(app)
    phones.add_courier("+6281311110001", "Pak Made", ready=False)  # nobody free
    number = phones.order_by_sms(CUSTOMER, lines="B04 1")
    clock.now += dt.timedelta(days=5)
    board = operator.get("/console/board").get_data(as_text=True)
    assert f"<strong>{number}</strong>" in board and "tanpa kurir" in board


# ---------------------------------------------------------------- failed deliveries and books

MADE, KETUT = "+6281311110001", "+6281311110002"
BU_KOMANG = "+6285200000001"  # trader AB1: B01-B05


def failed_order(app, db: Session, lines: str = "B04 1") -> tuple[Phones, str, int]:
    """An order Pak Made bought and could not deliver: (phones, its number, its id)."""
    from storage.models import Order

    phones = Phones(app)
    phones.add_courier(MADE, "Pak Made")
    phones.add_courier(KETUT, "Bli Ketut", ready=False)
    phones.add_trader_phone("AB1", BU_KOMANG)
    number = phones.order_by_sms(CUSTOMER, lines=lines)
    phones.send(MADE, f"YA {number}")
    phones.send(MADE, f"AMBIL {number}")
    phones.send(MADE, f"GAGAL {number} rumah kosong")
    db.rollback()
    return phones, number, db.scalars(select(Order.id).where(Order.number == number)).one()


def state_of(db: Session, order_id: int) -> str:
    from storage.models import Order

    db.rollback()
    return db.get(Order, order_id).state


def test_a_failed_delivery_stands_out_on_the_board_with_its_three_actions(app, operator, db):
    phones, number, order_id = failed_order(app, db)

    board = operator.get("/console/board").get_data(as_text=True)

    row = board.split(f'data-number="{number}"', 1)[1].split("</tr>", 1)[0]
    assert 'class="state-failed urgent"' in board
    assert "GAGAL (Pak Made): rumah kosong" in row and "Barang di Pak Made" in row
    assert "Antar lagi" in row and "Tawarkan lagi" in row and "Kembalikan ke pedagang" in row
    assert "Tanggung kantor" not in row  # the office's money: admins only
    assert "Batalkan" not in row  # bought goods are never simply cancelled
    assert f'data-confirm="Kembalikan barang pesanan {number} ke pedagang?' in row


def test_deliver_again_with_the_same_courier_puts_it_back_on_the_road(app, operator, db):
    phones, number, order_id = failed_order(app, db)

    operator.post(
        f"/console/orders/{order_id}/assign",
        data={
            "courier_id": phones_courier_id_of(db, MADE),
            "csrf_token": token(operator, "/console/board"),
        },
    )

    assert state_of(db, order_id) == "picked_up"
    assert phones.inbox(MADE)[-1].startswith(f"Antar lagi pesanan {number}: ")
    assert f"Pesanan {number} diantar lagi oleh Pak Made." in operator.get(
        "/console/board"
    ).get_data(as_text=True)
    phones.send(MADE, f"SELESAI {number}")
    assert state_of(db, order_id) == "delivered"


def test_offered_again_the_next_courier_takes_the_goods_over(app, operator, db):
    phones, number, order_id = failed_order(app, db)
    phones.send(KETUT, "SIAP")

    operator.post(
        f"/console/orders/{order_id}/reoffer",
        data={"csrf_token": token(operator, "/console/board")},
    )

    assert state_of(db, order_id) == "offered"
    phones.send(KETUT, f"YA {number}")
    assert "Ambil barangnya dari kurir Pak Made" in phones.inbox(KETUT)[-1]


def test_returning_the_goods_tells_each_trader_what_comes_back(app, operator, db):
    from storage.models import Movement, OrderLine

    phones, number, order_id = failed_order(app, db, lines="B04 2, B06 1")

    operator.post(
        f"/console/orders/{order_id}/return", data={"csrf_token": token(operator, "/console/board")}
    )

    assert state_of(db, order_id) == "returned"
    assert phones.inbox(BU_KOMANG)[-1] == (
        f"Telepasar: Pesanan {number} gagal diantar. Kurir Pak Made mengembalikan Tomat 2 kg. "
        "Kembalikan Rp28.000 kepadanya."
    )
    assert phones.inbox(MADE)[-1].startswith(f"Pesanan {number} dikembalikan: bawa barangnya")
    assert phones.inbox(CUSTOMER)[-1].endswith("Anda tidak membayar apa pun.")
    lines = db.scalars(select(OrderLine).where(OrderLine.order_id == order_id)).all()
    assert all(line.returned_at is not None for line in lines)
    back = db.scalars(select(Movement.amount).where(Movement.kind == "goods_returned")).all()
    assert sorted(back) == [16_000, 28_000]
    second = operator.post(
        f"/console/orders/{order_id}/return", data={"csrf_token": token(operator, "/console/board")}
    )
    db.rollback()
    again = db.scalars(select(Movement.amount).where(Movement.kind == "goods_returned")).all()
    assert second.status_code == 302 and len(again) == 2  # once only
    assert f"Pesanan {number} sudah berubah keadaan" in operator.get("/console/board").get_data(
        as_text=True
    )


def test_writing_off_is_the_admins_and_the_office_then_owes_the_courier(app, operator, admin, db):
    phones, number, order_id = failed_order(app, db)
    refused = operator.post(
        f"/console/orders/{order_id}/write-off",
        data={"csrf_token": token(operator, "/console/board")},
    )
    assert refused.status_code == 403 and state_of(db, order_id) == "failed"

    admin.post(
        f"/console/orders/{order_id}/write-off", data={"csrf_token": token(admin, "/console/board")}
    )

    assert state_of(db, order_id) == "written_off"
    assert phones.inbox(MADE)[-1] == (
        f"Pesanan {number} ditanggung kantor: Rp14.000 dihitung ke saldo Anda dengan kantor. "
        "Serahkan barangnya ke kantor."
    )
    books = admin.get("/console/books").get_data(as_text=True)
    made = books.split('data-courier="Pak Made"', 1)[1].split("</tr>", 1)[0]
    assert 'class="money balance">-Rp14.000<' in made


def phones_courier_id_of(db: Session, phone: str) -> int:
    from storage.models import Courier

    db.rollback()
    return db.scalars(select(Courier.id).where(Courier.phone == phone)).one()


def delivered_day(app) -> Phones:
    """Pak Made delivers B04 2 + B06 1 (Rp44.000 + Rp10.000) with 10 % commission."""
    phones = Phones(app)
    phones.add_courier(MADE, "Pak Made")
    phones.add_trader_phone("AB1", BU_KOMANG)
    number = phones.order_by_sms(CUSTOMER, lines="B04 2, B06 1")
    for word in ("YA", "AMBIL", "SELESAI"):
        phones.send(MADE, f"{word} {number}")
    return phones


@pytest.fixture
def commission_app(settings, make_app):
    return make_app(replace(settings, courier_commission_percent=10, sms_price_rupiah="350"))


def test_the_books_page_shows_each_couriers_and_traders_day(commission_app):
    delivered_day(commission_app)
    operator = logged_in(commission_app, "wayan", "operator")

    page = operator.get("/console/books").get_data(as_text=True)

    made = page.split('data-courier="Pak Made"', 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", made)
    assert cells == ["1", "0", "Rp44.000", "Rp0", "Rp54.000", "Rp10.000", "Rp1.000", "Rp0",
                     "Rp0", "Rp0", "0 (Rp0)", "Rp1.000"]  # fmt: skip
    traders = page.split('id="trader-books"', 1)[1]
    assert re.search(
        r"Bu Komang <small>\(AB1\)</small></td>\s*<td>1</td>\s*<td[^>]*>Rp28.000", traders
    )
    assert "Catat setoran" not in page and "Hanya admin yang mencatat setoran." in page
    refused = operator.post(
        "/console/books/handover",
        data={"courier_id": "1", "amount": "1000", "csrf_token": token(operator, "/console/books")},
    )
    assert refused.status_code == 403


def test_an_admin_records_a_handover_and_corrects_it(commission_app, db):
    from storage.models import Movement

    delivered_day(commission_app)
    admin = logged_in(commission_app, "kadek", "admin")
    courier = phones_courier_id_of(db, MADE)
    csrf = token(admin, "/console/books")
    for amount in ("abc", "0", "Rp200.000.000"):
        form = {"courier_id": courier, "amount": amount, "direction": "to_office"}
        admin.post("/console/books/handover", data=form | {"csrf_token": csrf})
        assert "Jumlah harus antara Rp1 dan Rp100.000.000" in admin.get("/console/books").get_data(
            as_text=True
        )
    admin.post(
        "/console/books/handover",
        data={"courier_id": courier, "amount": "Rp1.000", "direction": "to_office",
              "note": "setoran sore", "csrf_token": csrf},
    )  # fmt: skip

    page = admin.get("/console/books").get_data(as_text=True)
    assert "Setoran Rp1.000 (Pak Made) dicatat." in page
    handovers = page.split('id="handovers"', 1)[1].split("</table>", 1)[0]
    assert "Kurir ke kantor" in handovers and "kadek" in handovers and "setoran sore" in handovers
    made = page.split('data-courier="Pak Made"', 1)[1].split("</tr>", 1)[0]
    assert 'class="money balance">Rp0<' in made
    db.rollback()
    movement = db.scalars(select(Movement.id).where(Movement.kind == "handover")).one()

    admin.post(f"/console/books/handover/{movement}/correct", data={"csrf_token": csrf})
    admin.post(f"/console/books/handover/{movement}/correct", data={"csrf_token": csrf})

    db.rollback()
    rows = db.scalars(select(Movement).where(Movement.kind == "handover")).all()
    assert [(m.payer == "office", m.corrects_id) for m in rows] == [(False, None), (True, movement)]
    page = admin.get("/console/books").get_data(as_text=True)
    assert "Setoran ini sudah dikoreksi atau tidak ada." in page
    made = page.split('data-courier="Pak Made"', 1)[1].split("</tr>", 1)[0]
    assert 'class="money balance">Rp1.000<' in made


def test_the_books_as_csv_and_a_day_that_is_no_date(commission_app):
    delivered_day(commission_app)
    operator = logged_in(commission_app, "wayan", "operator")

    couriers = operator.get("/console/books/couriers.csv?day=2026-11-30")
    traders = operator.get("/console/books/traders.csv?day=2026-11-30")

    assert couriers.headers["Content-Disposition"].endswith("telepasar-couriers-2026-11-30.csv")
    rows = couriers.get_data(as_text=True).splitlines()
    assert rows[0].startswith("day,courier,phone,deliveries,failed,paid_traders,paid_couriers,")
    assert rows[1] == (
        "2026-11-30,Pak Made,+62813****0001,1,0,44000,0,54000,10000,1000,0,0,0,0,0,1000"
    )
    assert traders.get_data(as_text=True).splitlines()[1:] == [
        "2026-11-30,Bu Komang,AB1,1,28000,0,0",
        "2026-11-30,Pak Wayan,AB2,1,16000,0,0",
    ]
    assert (
        operator.get("/console/books/couriers.csv?day=2026-11-29")
        .get_data(as_text=True)
        .splitlines()[1:]
        == []
    )
    assert operator.get("/console/books/other.csv").status_code == 404
    for bad in ("kemarin", "2026-13-45", "1999-01-01", "3000-01-01", "x" * 500):
        page = operator.get(f"/console/books?day={bad}")
        assert page.status_code == 200
        assert "tidak dikenali atau di luar buku (contoh 2026-11-30)" in page.get_data(as_text=True)


def test_today_at_a_glance_shows_the_days_money_and_the_sms_spend(commission_app):
    delivered_day(commission_app)
    runner = commission_app.test_cli_runner()
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    operator = logged_in(commission_app, "wayan", "operator")

    page = operator.get("/console/glance").get_data(as_text=True)

    money = dict(
        re.findall(r"<tr[^>]*><th>([^<]+)</th><td[^>]*>([^<]*)", page.split('id="money"')[1])
    )
    assert money["Diantar"] == "1" and money["Dibayar ke pedagang"] == "Rp44.000"
    assert money["Diterima dari pelanggan"] == "Rp54.000" and money["Komisi kantor"] == "Rp1.000"
    spend = page.split("SMS terkirim hari ini</th><td>", 1)[1].split("</td>", 1)[0]
    segments = int(re.search(r"log: (\d+) segmen", spend).group(1))
    assert segments >= 6 and f"Rp{segments * 350:,}".replace(",", ".") in spend


def test_a_failed_order_given_to_another_courier_can_be_taken_back(app, operator, db):
    phones, number, order_id = failed_order(app, db)
    phones.send(KETUT, "SIAP")
    csrf = token(operator, "/console/board")
    operator.post(f"/console/orders/{order_id}/reoffer", data={"csrf_token": csrf})
    phones.send(KETUT, f"YA {number}")
    assert state_of(db, order_id) == "assigned"
    row = operator.get("/console/board").get_data(as_text=True).split(f'data-number="{number}"')[1]
    assert "Tarik kembali (gagal)" in row.split("</tr>")[0]

    operator.post(f"/console/orders/{order_id}/back", data={"csrf_token": csrf})

    assert state_of(db, order_id) == "failed"
    assert phones.inbox(KETUT)[-1] == (
        f"Pesanan {number} ditarik oleh call center. Jangan diambil; tunggu kabar berikutnya."
    )
    assert phones.send(KETUT, f"AMBIL {number}").startswith(f"Pesanan {number}: gagal diantar")


def test_operators_see_a_number_in_a_failure_reason_masked(app, operator, db):
    phones = Phones(app)
    phones.add_courier(MADE, "Pak Made")
    number = phones.order_by_sms(CUSTOMER, lines="B04 1")
    for text in (f"YA {number}", f"AMBIL {number}", f"GAGAL {number} telepon 081234567890 mati"):
        phones.send(MADE, text)

    board = operator.get("/console/board").get_data(as_text=True)

    assert "081234567890" not in board and "GAGAL (Pak Made): telepon " in board


def test_operators_see_a_number_in_a_handover_note_masked(commission_app):
    delivered_day(commission_app)
    admin = logged_in(commission_app, "kadek", "admin")
    operator = logged_in(commission_app, "wayan", "operator")
    csrf = token(admin, "/console/books")
    courier = re.search(r'<option value="(\d+)">Pak Made', admin.get("/console/books").get_data(
        as_text=True)).group(1)  # fmt: skip
    admin.post(
        "/console/books/handover",
        data={"courier_id": courier, "amount": "1000", "direction": "to_office",
              "note": "dititip istri, 0812 3456 7890 " + "x" * 300, "csrf_token": csrf},
    )  # fmt: skip

    page = operator.get("/console/books").get_data(as_text=True)

    assert "Setoran" in page and "dititip istri" in page
    assert "0812 3456 7890" not in page and "x" * 121 not in page


def test_the_board_says_when_no_call_center_number_is_set(settings, make_app):
    unset = logged_in(make_app(settings), "wayan", "operator")
    assert "CALL_CENTER_NUMBER belum diatur" in unset.get("/console/board").get_data(as_text=True)
    set_ = logged_in(make_app(replace(settings, call_center_number="+6236321234")), "putu",
                     "operator")  # fmt: skip
    assert 'id="no-call-center"' not in set_.get("/console/board").get_data(as_text=True)


@pytest.mark.parametrize(
    "text",
    [
        "code,market,name,category,phone\rAB7,AB,Men Rai,sayur,\r",  # an old Mac's line ends
        "code,market,name,category,phone\r\nAB7,AB,Men Rai,sayur,\r\n",  # Windows'
    ],
    ids=["cr", "crlf"],
)
def test_any_line_ending_is_read(admin, text):
    preview = upload(admin, "traders", text)
    assert preview.status_code == 200 and "Semua 1 baris benar." in preview.get_data(as_text=True)


def test_a_file_the_csv_reader_cannot_read_is_said_not_a_500(admin):
    huge = "code,market,name,category,phone\nAB7,AB," + "x" * 200_000 + ",sayur,\n"
    refused = upload(admin, "traders", huge)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "berkas tidak bisa dibaca sebagai CSV (sekitar baris 2)" in page
