"""Operations through the Flask CLI: `flask --app gateway <command>` (see `--help`)."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.security import generate_password_hash

from domain.delivery import queries as delivery_queries
from domain.hours import clock_time
from domain.office import queries as office_queries
from domain.office.register import (
    RegisterError,
    phone_also_used,
    register_courier,
    set_market_hours,
    set_trader_phone,
)
from domain.office.staff import (
    MIN_PASSWORD_LENGTH,
    ROLES,
    StaffError,
    add_staff,
    change_password,
    disable_staff,
    enable_staff,
)
from domain.phones import InvalidPhone, friendly_phone
from gateway.backups import backup_command, restore_check_command
from gateway.worker import Worker
from providers.senders import SenderUnavailable, make_sender
from simulator.phone import SMS_PROVIDERS, VOICE_PROVIDERS, replying_provider
from simulator.sound import Speaker
from simulator.terminal import Terminal
from simulator.texts import LANGUAGES
from simulator.webhooks import HttpTransport, Webhooks
from storage.db import head_revision, schema_revision, upgrade_schema
from storage.demo_catalog import load_demo_catalog
from storage.models import Item, Market, Vendor
from voice_prompts import default_catalog
from voice_prompts.synth import EspeakMissing, clips, synthesize
from web.current import current_clock, current_database, current_settings

worker_log = logging.getLogger("gateway.worker")


def register_commands(app: Flask) -> None:
    """Add Telepasar's commands to the app's CLI."""
    app.cli.add_command(migrate)
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
    app.cli.add_command(prompts_synth)
    app.cli.add_command(courier_add)
    app.cli.add_command(courier_list)
    app.cli.add_command(trader_phone)
    app.cli.add_command(market_hours)
    app.cli.add_command(staff_add)
    app.cli.add_command(staff_disable)
    app.cli.add_command(staff_password)
    app.cli.add_command(phone)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_check_command)


NO_CALL_CENTER = (
    "Warning: CALL_CENTER_NUMBER is not set: no SMS tells the call center of an order no "
    "courier took or a delivery that failed (the console's board shows them), and callers "
    "who press 0 are not put through"
)
NO_SCHEMA = (
    "the database {where} has no tables yet: run `flask --app gateway seed-demo` (the schema "
    "and the demo catalog) or `flask --app gateway migrate` (the schema only) first"
)
OLD_SCHEMA = (
    "the database schema is at migration {found}, this code needs {needed}: "
    "run `flask --app gateway migrate` first"
)


def needs_schema() -> None:
    """Commands that read or write rows: on a database without the schema (or an older one),
    one line saying what to run, and no file made where there was none."""
    engine = current_database().engine
    url = engine.url
    where = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        where = url.database
        if not Path(url.database).exists():
            raise click.ClickException(NO_SCHEMA.format(where=where))
    try:
        found = schema_revision(engine)
    except SQLAlchemyError as exc:
        raise click.ClickException(
            f"the database cannot be read: {str(exc).splitlines()[0]}"
        ) from exc
    if found is None:
        raise click.ClickException(NO_SCHEMA.format(where=where))
    if found != head_revision():
        raise click.ClickException(OLD_SCHEMA.format(found=found, needed=head_revision()))


@click.command("migrate")
@with_appcontext
def migrate() -> None:
    """Bring the schema up to date (Alembic); nothing else is written."""
    click.echo("Updating the database schema (Alembic)...")
    upgrade_schema(current_database().engine)
    click.echo("The schema is up to date.")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Bring the schema up to date, then load the demo catalog if the database has none."""
    database = current_database()
    click.echo("Updating the database schema (Alembic)...")
    upgrade_schema(database.engine)
    with database.unit_of_work() as session:
        added = load_demo_catalog(session)
        counts = [
            session.scalar(select(func.count()).select_from(model))
            for model in (Market, Vendor, Item)
        ]
    state = "Demo catalog loaded" if added else "Catalog already present, left as it is"
    click.echo(f"{state}: {counts[0]} markets, {counts[1]} traders, {counts[2]} items.")


@click.command("worker")
@click.option("--once", is_flag=True, help="One pass over the outbox and the inbox, then stop.")
@with_appcontext
def worker(once: bool) -> None:
    """Send due outbox SMS through SMS_PROVIDER and handle the inbox, until stopped (Ctrl-C).

    Any number of workers may run at once. A failed pass is logged and tried again after a
    pause: the worker stops only when it is told to (Ctrl-C, SIGTERM).
    """
    needs_schema()
    settings = current_settings()
    try:
        sender = make_sender(settings)
    except SenderUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    runner = Worker(current_database(), sender, settings, current_clock())
    if once:
        try:
            summary = runner.run_once().summary()
        except SQLAlchemyError as exc:
            raise click.ClickException(f"the database: {str(exc).splitlines()[0]}") from exc
        click.echo(summary or "Nothing to send, nothing waiting in the inbox.")
        return
    # LOG_FORMAT=json: the running worker's lines are log lines too, one JSON object each.
    say = click.echo if settings.log_format == "text" else worker_log.info
    say(f"Outbox worker {runner.worker_id} started (SMS_PROVIDER={settings.sms_provider}).")
    if not settings.call_center_number and settings.log_format == "json":
        worker_log.warning(NO_CALL_CENTER)
    elif not settings.call_center_number:
        click.echo(NO_CALL_CENTER, err=True)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in STOP_SIGNALS}
    try:
        runner.run(stop, say)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    say("Outbox worker stopped.")


# Ctrl-C, and what `make run`, systemd or a container runtime send: finish the message in
# hand (at most PROVIDER_TIMEOUT_SECONDS), then stop.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@click.command("prompts-synth")
@click.option("--force", is_flag=True, help="Make every clip again, even those already made.")
@click.option("--espeak", default="espeak-ng", show_default=True, help="The espeak-ng command.")
@with_appcontext
def prompts_synth(force: bool, espeak: str) -> None:
    """Make placeholder audio (espeak-ng) for every prompt, number word and catalog name."""
    settings = current_settings()
    with current_database().readers() as session:
        names = office_queries.catalog_names(session)
    all_clips = clips(default_catalog(), names)
    out_dir = Path(settings.audio_dir)
    click.echo(f"{len(all_clips)} clips (prompts, number words, names) into {out_dir}")
    try:
        made = synthesize(
            all_clips,
            out_dir,
            espeak=espeak,
            force=force,
            progress=lambda done, total: click.echo(f"  {done}/{total} made"),
        )
    except EspeakMissing as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Done: {made} made, {len(all_clips) - made} already there.")


@click.command("courier-add")
@click.option("--phone", required=True, help="The number the courier texts from (any format).")
@click.option("--name", required=True, help="As customers will hear it, e.g. 'Pak Made'.")
@click.option("--market", required=True, help="Home market: its code (AB) or name (Subagan).")
@click.option(
    "--language",
    type=click.Choice(["id", "ban", "en"]),
    default="id",
    show_default=True,
    help="The language of the courier's SMS.",
)
@with_appcontext
def courier_add(phone: str, name: str, market: str, language: str) -> None:
    """Register a courier. They get offers once they text SIAP (or ON)."""
    needs_schema()
    settings = current_settings()
    try:
        with current_database().unit_of_work() as session:
            courier = register_courier(
                session,
                phone=phone,
                name=name,
                market=market,
                language=language,
                region=settings.phone_region,
                now=current_clock()(),
            )
            shown = f"{courier.name}, {friendly_phone(courier.phone)}, {courier.market.name}"
            also = phone_also_used(session, courier.phone, courier_id=courier.id)
    except InvalidPhone as exc:
        raise click.ClickException(not_a_phone(phone)) from exc
    except RegisterError as exc:
        raise click.ClickException(str(exc)) from exc
    for who in also:
        click.echo(f"Note: {friendly_phone(courier.phone)} is also the phone of {who}.")
    click.echo(f"Courier registered: {shown}. They start work by texting SIAP.")


@click.command("courier-list")
@with_appcontext
def courier_list() -> None:
    """Every courier: market, name, phone, available or resting, the job in hand."""
    needs_schema()
    with current_database().readers() as session:
        couriers = office_queries.all_couriers(session)
        jobs = delivery_queries.jobs_by_courier(session)
        rows = []
        for courier in couriers:
            job = jobs.get(courier.id)
            rows.append(
                (
                    courier.market.code,
                    courier.name,
                    friendly_phone(courier.phone),
                    "available" if courier.available else "resting",
                    f"order {job.number} ({job.state.replace('_', ' ')})" if job else "-",
                )
            )
    if not rows:
        click.echo("No couriers yet. Add one: flask --app gateway courier-add --help")
        return
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
            + "  "
            + row[4]
        )
    how_many = "1 courier" if len(rows) == 1 else f"{len(rows)} couriers"
    click.echo(f"{how_many}, {sum(row[3] == 'available' for row in rows)} available.")


@click.command("trader-phone")
@click.option("--trader", required=True, help="The trader's code, e.g. AB1.")
@click.option("--phone", required=True, help="The number the trader texts from.")
@with_appcontext
def trader_phone(trader: str, phone: str) -> None:
    """Give a trader the phone they text from (orders to prepare; HABIS, ADA, HARGA)."""
    needs_schema()
    settings = current_settings()
    try:
        with current_database().unit_of_work() as session:
            vendor = set_trader_phone(
                session, trader=trader, phone=phone, region=settings.phone_region
            )
            number = friendly_phone(vendor.phone or "")
            shown = f"{vendor.name} ({vendor.code}): {number}"
            also = phone_also_used(session, vendor.phone or "", vendor_id=vendor.id)
    except InvalidPhone as exc:
        raise click.ClickException(not_a_phone(phone)) from exc
    except RegisterError as exc:
        raise click.ClickException(str(exc)) from exc
    for who in also:
        click.echo(f"Note: {number} is also the phone of {who}.")
    click.echo(f"Trader phone saved: {shown}.")


@click.command("market-hours")
@click.option("--market", required=True, help="Its code (AB), its name (Subagan), or all.")
@click.option("--opens", default="06:00", show_default=True, help="Local time (WITA), HH:MM.")
@click.option("--closes", default="14:00", show_default=True, help="Local time (WITA), HH:MM.")
@click.option("--all-day", is_flag=True, help="Open around the clock (the demo at any hour).")
@with_appcontext
def market_hours(market: str, opens: str, closes: str, all_day: bool) -> None:
    """A market's hours; orders placed outside them wait for the opening."""
    needs_schema()
    try:
        opens_at, closes_at = (
            (dt.time(0), dt.time(0)) if all_day else (clock_time(opens), clock_time(closes))
        )
        with current_database().unit_of_work() as session:
            changed = set_market_hours(
                session, market=market, opens_at=opens_at, closes_at=closes_at
            )
            names = [one.name for one in changed]
    except (RegisterError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    hours = (
        "open around the clock"
        if opens_at == closes_at
        else f"open {opens_at:%H:%M}-{closes_at:%H:%M} local time"
    )
    for name in names:
        click.echo(f"{name}: {hours}.")


def new_password(given: str | None, prompt: str) -> str:
    """The password given, or asked (hidden, twice); one line when it is too short."""
    password = (
        given
        if given is not None
        else click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return password


def not_a_phone(typed: str) -> str:
    """A number the person at the keyboard typed is shown back to them whole."""
    return f"{typed.strip()[:40]!r} is not a valid phone number: write it like 0812-3456-7890"


@click.command("staff-add")
@click.option("--username", required=True, help="3 to 40 of a-z, 0-9, '.', '_', '-'.")
@click.option("--role", type=click.Choice(list(ROLES)), required=True, help="operator or admin.")
@click.option(
    "--password",
    help=f"At least {MIN_PASSWORD_LENGTH} characters; asked (hidden) when not given.",
)
@with_appcontext
def staff_add(username: str, role: str, password: str | None) -> None:
    """A call-center console account."""
    needs_schema()  # before the password is asked: no typing for a database not ready
    password = new_password(password, "Password")
    try:
        with current_database().unit_of_work() as session:
            staff = add_staff(
                session,
                username=username,
                password_hash=generate_password_hash(password),
                role=role,
                now=current_clock()(),
            )
            shown = f"{staff.username} ({staff.role})"
    except StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Console account added: {shown}. Log in at /console/login.")


@click.command("staff-disable")
@click.option("--username", required=True, help="The account to disable.")
@click.option("--enable", is_flag=True, help="Let a disabled account log in again instead.")
@with_appcontext
def staff_disable(username: str, enable: bool) -> None:
    """Disable a console account: it cannot log in, and every open session of it ends."""
    needs_schema()
    try:
        with current_database().unit_of_work() as session:
            if enable:
                staff = enable_staff(session, username)
            else:
                staff = disable_staff(session, username, now=current_clock()())
            name = staff.username
    except StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    if enable:
        click.echo(f"Console account {name} may log in again.")
    else:
        click.echo(f"Console account {name} disabled; its open sessions have ended.")


@click.command("staff-password")
@click.option("--username", required=True, help="The account whose password changes.")
@click.option(
    "--password",
    help=f"At least {MIN_PASSWORD_LENGTH} characters; asked (hidden) when not given.",
)
@with_appcontext
def staff_password(username: str, password: str | None) -> None:
    """Give a console account a new password; every open session of it ends."""
    needs_schema()  # before the password is asked
    password = new_password(password, "New password")
    try:
        with current_database().unit_of_work() as session:
            staff = change_password(
                session, username, password_hash=generate_password_hash(password)
            )
            name = staff.username
    except StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"New password saved for {name}; its open sessions have ended.")


@click.command("phone")
@click.option("--url", help="The running gateway. [default: PUBLIC_BASE_URL]")
@click.option("--phone", "number", help="Be this number at once (any format).")
@click.option(
    "--sms-via",
    type=click.Choice(SMS_PROVIDERS),
    help="The SMS webhook to text through. [default: SMS_PROVIDER's, twilio for log]",
)
@click.option(
    "--voice-via",
    type=click.Choice(VOICE_PROVIDERS),
    default="twilio",
    show_default=True,
    help="The voice webhook to call.",
)
@click.option("--lang", type=click.Choice(LANGUAGES), default="id", show_default=True)
@click.option("--mute", is_flag=True, help="Show the prompts of a call; play nothing.")
@with_appcontext
def phone(
    url: str | None,
    number: str | None,
    sms_via: str | None,
    voice_via: str,
    lang: str,
    mute: bool,
) -> None:
    """The phone simulator: dial USSD, call, text the running gateway as the providers do."""
    settings = current_settings()
    url = (url or settings.public_base_url).rstrip("/")
    transport = HttpTransport(url)
    terminal = Terminal(
        hooks=Webhooks(settings, transport, current_clock()),
        database=current_database(),
        speaker=Speaker(transport.get, muted=mute),
        url=url,
        sms_provider=sms_via or replying_provider(settings.sms_provider),
        voice_provider=voice_via,
        region=settings.phone_region,
        lang=lang,
    )
    terminal.run(number)
