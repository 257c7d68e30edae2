"""`flask --app gateway phone` in a real terminal (a pty, driven by pexpect) against the gateway
running as its own process, with every webhook secret set: the simulator's requests must
carry Twilio's signature, Africa's Talking's token and the Android gateway's HMAC, or the
gateway refuses them. A customer orders by USSD and sees the confirmation SMS arrive; another
orders by SMS; both orders are in the database, each with its caller.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from sqlalchemy import select, update

from gateway import create_app
from gateway.worker import Worker
from providers.senders import LogSender
from settings import PROJECT_ROOT, Settings
from simulator.window import ringing
from storage.models import Customer, Order
from tests.e2e.morning_app import MORNING, RunningClock
from tests.processes import settings_env, start_gateway, start_gunicorn
from tests.sms_phones import Phones

PROMPT_DONE = "\x1b[?2004l"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
USSD_CUSTOMER, SMS_CUSTOMER = "081234567890", "0812-9876-5432"


def with_secrets(tmp_path: Path, demo_database_file: Path, **more: object) -> Settings:
    """Settings on a copy of the demo database, with every webhook secret set."""
    database = tmp_path / "telepasar.sqlite3"
    shutil.copy(demo_database_file, database)
    return Settings(
        database_url=f"sqlite:///{database}",
        twilio_auth_token="f" * 32,
        at_webhook_token="simulator-test-token",
        android_webhook_key="simulator-test-key",
        **more,
    )


@pytest.fixture
def gateway(tmp_path: Path, demo_database_file: Path) -> Iterator[tuple[Settings, str]]:
    """The gateway as a process on a copy of the demo database, all webhook secrets set."""
    settings = with_secrets(tmp_path, demo_database_file)
    server, url = start_gateway(settings, tmp_path / "gateway.log")
    yield settings, url
    log = server.output()
    server.stop()
    assert "Traceback" not in log, log
    assert " 403 " not in log, "the gateway refused a simulated request:\n" + log


class Terminal:
    """The simulator in a pty, 80 columns wide: type a line, read what it printed."""

    def __init__(self, settings: Settings, url: str, *options: str) -> None:
        env = settings_env(settings)
        env.update(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "flask", "--app", "gateway", "phone", "--url", url, "--mute", *options],
            cwd=PROJECT_ROOT,
            env=env,
            dimensions=(40, 80),
            encoding="utf-8",
            timeout=20,
        )

    def until(self, pattern: str) -> str:
        """Everything printed up to `pattern` and what it matched, without terminal codes."""
        self.child.expect(pattern)
        return ANSI.sub("", self.child.before + self.child.after).replace("\r", "")

    def type(self, line: str, until: str) -> str:
        """Type `line` and Enter; what the simulator printed in answer, up to `until`."""
        self.child.sendline(line)
        # prompt_toolkit ends each prompt by turning bracketed paste off: what follows is the
        # answer, not the prompt drawn again with the line typed.
        self.child.expect_exact(PROMPT_DONE)
        return self.until(until)

    def close(self) -> None:
        self.child.sendline("0")
        self.child.expect(pexpect.EOF)


def screen_of(printed: str) -> str:
    """The last USSD screen drawn, its lines joined as the phone shows them."""
    box = printed.rsplit("┌─", 1)[-1]
    return "\n".join(line.strip("│ ") for line in box.splitlines() if line.startswith("│"))


def key_for(screen: str, label: str) -> str:
    match = re.search(rf"^(\d+)\. {re.escape(label)}", screen, re.MULTILINE)
    assert match, f"no {label!r} on the screen:\n{screen}"
    return match[1]


def placed(settings: Settings, number: str) -> tuple[str, int, str, str | None]:
    """The order with this number: its channel, goods total, customer's number and name."""
    app = create_app(settings)
    with app.extensions["telepasar_db"].readers() as session:
        order = session.scalars(select(Order).where(Order.number == number)).one()
        customer = session.get(Customer, order.customer_id)
        found = (order.channel, order.goods_total, customer.phone, customer.name)
    app.extensions["telepasar_db"].dispose()
    return found


def test_a_customer_orders_by_ussd_in_the_terminal_and_sees_the_confirmation_sms(gateway):
    settings, url = gateway
    phone = Terminal(settings, url, "--phone", USSD_CUSTOMER)
    assert "Anda: Pelanggan" in phone.until("pilih>")
    screen = screen_of(phone.type("1", "balas"))
    if "Pilih bahasa" in screen:
        screen = screen_of(phone.type(key_for(screen, "Bahasa Indonesia"), "balas"))
    for label in ("Pasar Amlapura Barat", "Bu Komang", "Tomat"):
        screen = screen_of(phone.type(key_for(screen, label), "balas"))
    assert "Berapa kg?" in screen
    screen = screen_of(phone.type("2", "balas"))
    assert "Keranjang: 1 barang, Rp28.000" in screen
    screen = screen_of(phone.type(key_for(screen, "Selesai & pesan"), "balas"))
    screen = screen_of(phone.type("Ni Made Sari", "balas"))
    screen = screen_of(phone.type("Banjar Dinas Bukit, Desa Bukit", "balas"))
    assert screen.startswith("Total Rp38.000 (ongkir Rp10.000)")
    printed = phone.type(key_for(screen, "Pesan sekarang"), "pilih>")
    assert "Sesi USSD selesai." in printed
    number = re.search(r"Pesanan (\d{4,6})", screen_of(printed))[1]

    # The confirmation is an outbox row: the simulator shows it within a second of its
    # writing, before the menu comes back or just after.
    sms = printed.partition("SMS dari Telepasar")[2]
    if f"Pesanan {number}" not in sms:
        sms += phone.until(rf"Pesanan {number}")
    assert "menunggu dikirim" in sms  # no worker runs here: the outbox still holds it
    phone.close()

    assert placed(settings, number) == ("ussd", 28_000, "+6281234567890", "Ni Made Sari")


def test_a_customer_orders_by_sms_in_the_terminal_through_africastalking(gateway):
    settings, url = gateway
    phone = Terminal(settings, url, "--phone", SMS_CUSTOMER, "--sms-via", "africastalking")
    phone.until("pilih>")
    phone.type("3", "sms>")
    # Africa's Talking's replies go out through the outbox: the simulator shows each one.
    assert "Ni Luh Putu" in phone.type("NAMA Ni Luh Putu", "SMS dari Telepasar.*?sms>")
    phone.type("ALAMAT Banjar Kangin, Desa Seraya", "SMS dari Telepasar.*?sms>")
    quote = phone.type("PESAN B12 2", "Balas YA")
    assert "Cabai rawit 2 ons Rp13.000" in quote
    confirmation = phone.type("YA", r"Pesanan (\d{4,6})")
    number = phone.child.match[1]
    assert "SMS dari Telepasar" in confirmation
    phone.type("", "pilih>")
    printed = phone.type("4", "pilih>")
    assert f"Pesanan {number}" in printed and "menunggu dikirim" in printed
    phone.close()

    assert placed(settings, number) == ("sms", 13_000, "+6281298765432", "Ni Luh Putu")


def test_a_missed_call_from_the_terminal_is_called_back_and_reorders(tmp_path, demo_database_file):
    """On a market morning (the gateway on tests/e2e/morning_app.py's clock, the worker pass
    here on the same clock): the terminal rings the missed-call number, the worker places the
    call back (printed: no provider account, SMS_PROVIDER=log), the terminal says it rings,
    `7` picks up, `1` orders the last order again."""
    settings = with_secrets(tmp_path, demo_database_file, missed_call_enabled=True)
    clock = RunningClock(MORNING)
    app = create_app(settings, clock=clock)
    phones = Phones(app)
    phones.send("+6281234567890", "NAMA Ni Made Sari")
    phones.send("+6281234567890", "ALAMAT Banjar Kauh, Desa Bugbug")
    first = phones.order_by_sms("+6281234567890", lines="B04 2")
    database_of_app = app.extensions["telepasar_db"]
    with database_of_app.unit_of_work() as session:
        session.execute(update(Order).values(state="delivered"))
    log = tmp_path / "gunicorn.log"
    server, url = start_gunicorn(settings, log, workers=1, app="tests.e2e.morning_app:app()")
    try:
        phone = Terminal(settings, url, "--phone", USSD_CUSTOMER)
        phone.until("pilih>")
        assert "Telepasar menolak panggilan tanpa mengangkat" in phone.type("6", "pilih>")
        Worker(database_of_app, LogSender(lambda line: None), settings, clock).run_once()
        assert ringing(database_of_app, "+6281234567890") is not None  # the log caller's
        phone.until("Telepasar menelepon balik!")
        greeting = phone.type("7", "tekan tombol")
        assert "ini Telepasar menelepon balik. Pesanan terakhir Anda:" in greeting
        final = phone.type("1", "pilih>")
        assert "Nomor pesanan Anda" in final
        phone.close()
    finally:
        server.stop()
        assert "Traceback" not in log.read_text(), log.read_text()
    with database_of_app.readers() as session:
        numbers = session.scalars(select(Order.number).order_by(Order.id)).all()
    assert len(numbers) == 2 and numbers[0] == first
    database_of_app.dispose()
