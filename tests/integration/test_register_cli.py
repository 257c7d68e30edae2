"""`courier-add`, `courier-list` and `trader-phone`: the register from the command line."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Courier, Vendor


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_a_courier_is_added_by_any_phone_format_and_listed(app, db: Session):
    added = cli(
        app, "courier-add", "--phone", "0813 1111 0001", "--name", "Pak Made", "--market", "AB"
    )
    assert added.exit_code == 0, added.output
    assert added.output == (
        "Courier registered: Pak Made, 0813-1111-0001, Pasar Amlapura Barat. "
        "They start work by texting SIAP.\n"
    )
    by_name = cli(
        app,
        "courier-add",
        "--phone",
        "+62 813-1111-0002",
        "--name",
        "Bli Ketut",
        "--market",
        "subagan",
    )
    assert by_name.exit_code == 0, by_name.output

    courier = db.scalars(select(Courier).order_by(Courier.id)).first()
    assert (courier.phone, courier.available, courier.language) == ("+6281311110001", False, "id")
    listed = cli(app, "courier-list").output.splitlines()
    assert listed[-1] == "2 couriers, 0 available."
    assert listed[0].split() == ["AB", "Pak", "Made", "0813-1111-0001", "resting", "-"]


def test_courier_add_refuses_what_it_cannot_register(app):
    cli(app, "courier-add", "--phone", "081311110001", "--name", "Pak Made", "--market", "AB")
    twice = cli(app, "courier-add", "--phone", "+6281311110001", "--name", "X", "--market", "AT")
    assert twice.exit_code == 1
    assert (
        "0813-1111-0001 is registered already, as Pak Made (Pasar Amlapura Barat)" in twice.output
    )
    bad_phone = cli(app, "courier-add", "--phone", "12", "--name", "X", "--market", "AB")
    assert bad_phone.exit_code == 1 and "not a valid phone number" in bad_phone.output
    vague = cli(
        app, "courier-add", "--phone", "081311110005", "--name", "X", "--market", "Amlapura"
    )
    assert vague.exit_code == 1
    assert "more than one market matches 'Amlapura'; the markets are: AB (Pasar" in vague.output
    assert "Traceback" not in twice.output + bad_phone.output + vague.output


def test_an_empty_register_says_how_to_start(app):
    assert cli(app, "courier-list").output == (
        "No couriers yet. Add one: flask --app gateway courier-add --help\n"
    )


def test_a_trader_gets_the_phone_they_text_from(app, db: Session):
    saved = cli(app, "trader-phone", "--trader", "ab1", "--phone", "0852-0000-0001")
    assert saved.exit_code == 0, saved.output
    assert saved.output == "Trader phone saved: Bu Komang (AB1): 0852-0000-0001.\n"
    assert db.scalars(select(Vendor.phone).where(Vendor.code == "AB1")).one() == "+6285200000001"
    unknown = cli(app, "trader-phone", "--trader", "ZZ9", "--phone", "0852-0000-0001")
    assert unknown.exit_code == 1 and "no trader with the code 'ZZ9'" in unknown.output


COMMANDS_ON_ROWS = [
    ["courier-list"],
    ["courier-add", "--phone", "081311110001", "--name", "Pak Made", "--market", "AB"],
    ["trader-phone", "--trader", "AB1", "--phone", "085200000001"],
    ["staff-add", "--username", "kadek", "--role", "admin", "--password", "kopi-bali-pagi"],
    ["staff-add", "--username", "kadek", "--role", "admin"],  # said before a password is asked
    ["staff-disable", "--username", "kadek"],
    ["staff-password", "--username", "kadek", "--password", "kopi-bali-pagi"],
    ["staff-password", "--username", "kadek"],
    ["worker", "--once"],
]


@pytest.mark.parametrize(
    "args", COMMANDS_ON_ROWS, ids=lambda args: "-".join(args[:2]) + str(len(args))
)
def test_before_the_first_migration_a_command_says_what_to_run_and_makes_no_file(
    tmp_path, make_app, settings, args
):
    missing = tmp_path / "new.sqlite3"
    app = make_app(replace(settings, database_url=f"sqlite:///{missing}"))

    result = cli(app, *args)

    assert result.exit_code == 1
    assert result.output == (
        f"Error: the database {missing} has no tables yet: run `flask --app gateway seed-demo` "
        "(the schema and the demo catalog) or `flask --app gateway migrate` (the schema only) "
        "first\n"
    )
    assert not missing.exists()


def test_an_empty_database_file_or_an_old_schema_says_what_to_run(tmp_path, make_app, settings):
    from alembic import command

    from storage.db import alembic_config, head_revision, make_engine

    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    result = cli(make_app(replace(settings, database_url=f"sqlite:///{empty}")), "courier-list")
    assert result.exit_code == 1 and "has no tables yet: run `flask --app gateway" in result.output
    old = tmp_path / "old.sqlite3"
    engine = make_engine(f"sqlite:///{old}")
    command.upgrade(alembic_config(engine), "0014")
    engine.dispose()
    result = cli(make_app(replace(settings, database_url=f"sqlite:///{old}")), "courier-list")
    assert result.output == (
        f"Error: the database schema is at migration 0014, this code needs {head_revision()}: "
        "run `flask --app gateway migrate` first\n"
    )


def test_a_number_is_checked_shown_as_typed_and_its_other_roles_said(app, db: Session):
    abroad = cli(app, "courier-add", "--phone", "+14155550100", "--name", "X", "--market", "AB")
    assert abroad.exit_code == 1
    assert abroad.output == (
        "Error: +14155550100 is not a number of ID (PHONE_REGION): Telepasar texts no number "
        "outside it\n"
    )
    typo = cli(app, "courier-add", "--phone", "0812345", "--name", "X", "--market", "AB")
    assert typo.output == (
        "Error: '0812345' is not a valid phone number: write it like 0812-3456-7890\n"
    )
    assert cli(app, "trader-phone", "--trader", "AB1", "--phone", "08131111000").exit_code == 0

    both = cli(
        app, "courier-add", "--phone", "0813-1111-000", "--name", "Bu Komang", "--market", "AB"
    )

    assert both.exit_code == 0, both.output
    assert both.output.splitlines()[0] == (
        "Note: 0813-1111-000 is also the phone of trader Bu Komang (AB1)."
    )
    again = cli(app, "trader-phone", "--trader", "AB2", "--phone", "0813-1111-000")
    assert again.output.splitlines()[:2] == [
        "Note: 0813-1111-000 is also the phone of courier Bu Komang (AB).",
        "Note: 0813-1111-000 is also the phone of trader Bu Komang (AB1).",
    ]


def test_market_hours_open_the_demo_around_the_clock_and_back(app, clock, db: Session):
    from storage.models import Market, Order
    from tests.conftest import MARKET_CLOSED
    from tests.sms_phones import Phones

    all_day = cli(app, "market-hours", "--market", "all", "--all-day")
    assert all_day.exit_code == 0, all_day.output
    assert all_day.output.splitlines()[0] == "Pasar Amlapura Barat: open around the clock."
    clock.now = MARKET_CLOSED  # 16:00 WITA
    phones = Phones(app)
    phones.add_courier("+6281311110001", "Pak Made")
    number = phones.order_by_sms("+6281234567890", "B04 1")
    db.rollback()
    order = db.scalars(select(Order).where(Order.number == number)).one()
    assert (order.state, order.deliver_after) == ("offered", None)  # no waiting for 06:00

    back = cli(app, "market-hours", "--market", "AB")
    assert back.output == "Pasar Amlapura Barat: open 06:00-14:00 local time.\n"
    db.rollback()
    barat = db.scalars(select(Market).where(Market.code == "AB")).one()
    assert (barat.opens_at.hour, barat.closes_at.hour) == (6, 14)
    bad = cli(app, "market-hours", "--market", "AB", "--opens", "6")
    assert bad.output == "Error: '6' is not a time of day: write it like 06:00\n"


def test_a_password_not_given_is_asked_hidden_twice(app, db: Session):
    from storage.models import Staff

    runner = app.test_cli_runner()
    args = ["staff-add", "--username", "kadek", "--role", "admin"]
    typo = runner.invoke(args=args, input="kopi-bali-pagi\nkopi-bali-pag\nkopi-bali-pagi\n")
    assert "Error: The two entered values do not match." in typo.output
    assert typo.output.count("Password: ") == 2
    added = runner.invoke(args=args, input="kopi-bali-pagi\nkopi-bali-pagi\n")
    assert added.exit_code == 0, added.output
    assert "kopi" not in added.output  # hidden
    assert added.output.endswith(
        "Console account added: kadek (admin). Log in at /console/login.\n"
    )
    assert db.scalars(select(Staff.username)).all() == ["kadek"]
