"""The console in real headless Chromium, against the gateway as its own process.

A staff member logs in, finds a caller by `0812...`, enters a two-item order with the
keyboard alone (the search as you type, Enter to add, Ctrl+Enter to place), sees it on the
dispatch board, gives it to a courier by hand; the customer's and the courier's SMS are in
the outbox. An admin's CSV import with one bad row imports nothing and names the row.
Screenshots of order entry, the board and the import preview are saved in `test-artifacts/`.

Chromium is Debian's (`.ci/run` installs it); on a machine without it these tests are
skipped, saying how to install it (CI fails instead).
"""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Item, Movement, Order, OutboundMessage, Staff
from tests.e2e.conftest import ARTIFACTS, PASSWORD, add_staff, focused, log_in
from tests.sms_phones import Phones

CUSTOMER, COURIER = "+6281234567890", "+6281311110001"


def test_an_operator_takes_a_phone_order_and_gives_it_to_a_courier(browser, site):
    url, app = site
    add_staff(app, "wayan", "operator")
    phones = Phones(app)
    phones.send(CUSTOMER, "NAMA Ni Made Sari")
    phones.send(CUSTOMER, "ALAMAT Banjar Kauh, Desa Bugbug")
    phones.add_courier(COURIER, "Pak Made", ready=False)  # resting: the order waits for a hand

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/console/")
    assert "/console/login" in page.url
    focused(page, "username")  # each page puts the cursor where typing starts
    page.keyboard.type("wayan")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Cari penelepon')")

    focused(page, "phone")
    page.keyboard.type("0812 3456 7890")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('0812-3456-7890')")
    assert page.input_value("input[name=name]") == "Ni Made Sari"

    page.goto(f"{url}/console/orders/new?phone=081234567890")
    focused(page, "item-search")
    page.keyboard.type("tomat")
    page.wait_for_selector("#item-results li")
    page.keyboard.press("Enter")
    page.keyboard.type("beras")
    page.wait_for_selector("#item-results li:has-text('B06')")
    page.keyboard.press("Enter")
    assert page.text_content("#goods") == "Rp30.000"
    assert page.text_content("#total") == "Rp40.000"
    page.screenshot(path=str(ARTIFACTS / "order-entry.png"), full_page=True)
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"{url}/console/board")

    with app.extensions["telepasar_db"].readers() as session:
        order = session.scalars(select(Order)).one()
        assert (order.channel, order.goods_total) == ("console", 30_000)
        number = order.number
    row = page.locator(f"tr[data-number='{number}']")
    assert row.count() == 1
    page.screenshot(path=str(ARTIFACTS / "dispatch-board.png"), full_page=True)
    row.locator("select[name=courier_id]").select_option(label="Pak Made (AB, istirahat)")
    # Outside market hours (this test runs at any hour) the board asks first: yes.
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button:has-text('Berikan')").click()
    page.wait_for_selector(f"text=Pesanan {number} diberikan ke Pak Made.")

    assert phones.inbox(COURIER)[-1].startswith(f"Pesanan {number} untuk Anda. Ni Made Sari")
    assert phones.inbox(CUSTOMER)[-1].startswith(f"Telepasar: Pesanan {number} diambil kurir")
    with app.extensions["telepasar_db"].readers() as session:
        kinds = session.scalars(
            select(OutboundMessage.kind).where(OutboundMessage.to == CUSTOMER)
        ).all()
    assert "order_update" in kinds


def test_an_admin_imports_items_and_a_bad_row_stops_the_whole_file(browser, site, tmp_path):
    url, app = site
    add_staff(app, "kadek", "admin")
    bad = tmp_path / "items.csv"
    bad.write_text(
        "code,trader,name,name_en,unit,price,available\n"
        "B90,AB1,Terong,Eggplant,kg,12000,ya\n"
        "B91,AB1,Labu,Pumpkin,biji,8000,ya\n",
        encoding="utf-8",
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, url, "kadek")

    page.goto(f"{url}/console/register")
    page.set_input_files("input[name=file]", str(bad))
    page.click("button:has-text('Pratinjau impor')")
    page.wait_for_selector("text=Tidak ada yang diimpor")
    wrong = page.locator("tr.wrong")
    assert wrong.count() == 1
    assert wrong.locator("td").first.text_content() == "3"  # the file's line 3
    assert "satuan \u201cbiji\u201d tidak dikenal" in wrong.text_content()
    assert page.locator("button:has-text('Impor semua')").count() == 0
    page.screenshot(path=str(ARTIFACTS / "import-preview.png"), full_page=True)

    with app.extensions["telepasar_db"].readers() as session:
        assert session.scalars(select(Item).where(Item.code == "B90")).first() is None


def test_an_admin_records_a_handover_on_the_books_page(browser, site):
    url, app = site
    add_staff(app, "kadek", "admin")
    Phones(app).add_courier(COURIER, "Pak Made")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, url, "kadek")

    page.click("nav >> text=Buku harian")
    page.select_option("#handover-form select[name=courier_id]", label="Pak Made (AB)")
    page.select_option("#handover-form select[name=direction]", value="to_courier")
    page.fill("#handover-form input[name=amount]", "Rp25.000")
    page.fill("#handover-form input[name=note]", "uang kembalian")
    page.once("dialog", lambda dialog: dialog.accept())  # "Catat setoran ini? Periksa ..."
    page.click("#handover-form button")

    page.wait_for_selector("text=Setoran Rp25.000 (Pak Made) dicatat.")
    row = page.locator("#courier-books tr[data-courier='Pak Made']")
    assert row.locator("td.balance").text_content() == "Rp25.000"  # the courier owes it back
    handover = page.locator("#handovers tbody tr").first
    assert "Kantor ke kurir" in handover.text_content()
    assert "kadek" in handover.text_content()
    page.screenshot(path=str(ARTIFACTS / "books.png"), full_page=True)

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("#handovers button:has-text('Koreksi')")
    assert asked == ["Catat koreksi berlawanan untuk setoran Rp25.000?"]
    assert page.locator("#handovers tbody tr").count() == 1  # dismissed: nothing recorded
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#handovers button:has-text('Koreksi')")
    page.wait_for_selector("text=Setoran dikoreksi dengan catatan berlawanan.")
    assert page.locator("#handovers tbody tr").count() == 2

    with app.extensions["telepasar_db"].readers() as session:
        rows = session.execute(
            select(Movement.payer, Movement.payee, Movement.amount, Staff.username)
            .join(Staff, Staff.id == Movement.recorded_by_id)
            .order_by(Movement.id)
        ).all()
    courier = rows[0][1]
    assert courier.startswith("courier:")
    assert [tuple(row) for row in rows] == [
        ("office", courier, 25_000, "kadek"),
        (courier, "office", 25_000, "kadek"),
    ]


def test_order_entry_says_what_it_finds_and_what_it_refuses(browser, site):
    """`/` moves to the search without typing; a search that finds nothing says so; an
    order for a caller with one on its way is refused at the cart, in words, until the
    staff member ticks that the caller wants another."""
    url, app = site
    add_staff(app, "wayan", "operator")
    phones = Phones(app)
    phones.add_courier(COURIER, "Pak Made")
    first = phones.order_by_sms(CUSTOMER, lines="B04 1")  # offered, or waiting for the market
    page = browser.new_page(viewport={"width": 390, "height": 800})
    log_in(page, url, "wayan")
    page.goto(f"{url}/console/orders/new?phone=081234567890")
    warning = page.locator("#open-order")
    assert f"Penelepon ini masih punya pesanan {first}" in warning.text_content()
    focused(page, "item-search")

    page.keyboard.press("/")
    page.keyboard.type("zzzz")
    assert page.input_value("#item-search") == "zzzz"  # no "/" typed
    page.wait_for_selector("#item-results li.nothing")
    assert (
        page.text_content("#item-results") == "Tidak ada barang yang cocok dengan \u201czzzz\u201d."
    )
    page.keyboard.press("/")  # in the search: selects what is there, types nothing
    page.keyboard.type("B01")
    assert page.input_value("#item-search") == "B01"
    page.wait_for_selector("#item-results li:has-text('B01')")
    page.keyboard.press("Enter")
    page.focus("input[name=address]")
    page.keyboard.press("End")
    page.keyboard.type(" No. 5/7")  # in the address a "/" is typed
    assert page.input_value("input[name=address]").endswith("No. 5/7")

    page.keyboard.press("Control+Enter")
    refusal = page.locator("#refusal")
    refusal.wait_for()
    assert refusal.text_content().startswith(
        f"Belum ada pesanan yang dibuat: penelepon masih punya pesanan {first}."
    )
    assert refusal.is_visible() and refusal.evaluate(
        "e => e.getBoundingClientRect().top >= 0 && e.getBoundingClientRect().bottom <= innerHeight"
    )  # in view, beside the cart
    assert page.locator("#cart tbody tr").count() == 1  # the cart, kept
    with app.extensions["telepasar_db"].readers() as session:
        assert len(session.scalars(select(Order)).all()) == 1
    page.check("input[name=again]")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"{url}/console/board")
    with app.extensions["telepasar_db"].readers() as session:
        assert len(session.scalars(select(Order)).all()) == 2
