"""`make bench`: the production path measured, written to bench/RESULTS.md.

The gateway runs under gunicorn exactly as deployed (`gateway/gunicorn_conf.py`, 2 sync
workers) on loopback, and wrk (32 connections, 2 threads) replays prepared requests: a USSD
first dial, a USSD hop in the middle of an order, a signed Twilio <Gather> hop and an SMS
keyword order. Each is reported as requests/s, p50 and p99, and as a ratio to a stateless
Flask endpoint answering a fixed TwiML menu (bench/baseline.py), measured in the same run
with the same server settings. Then: the same hops with a 3 x 200 x 50 catalog (30,000
items), the outbox's throughput to the local fake provider through each real SDK, and the
time to offer one order to 500 couriers. On SQLite, and on PostgreSQL when
TEST_DATABASE_URL names a server (its user must be allowed to create databases).

The design to beat is measured in the same run: the same USSD menus served by Flask with one
Redis hash per session (bench/redis_peer.py), against a redis-server the bench starts and
stops itself (Debian's `redis-server`), once as installed and once with `appendfsync always`
(every write on disk before the answer, as durable as a commit).

Figures are ratios measured in one run on one machine: rerun it on yours.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import platform
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from domain.delivery.dispatch import offer_order  # noqa: E402
from domain.messaging.outbox import OutboxPolicy, deliver_due, enqueue_sms  # noqa: E402
from domain.office.register import register_courier  # noqa: E402
from domain.orders.rules import OrderRules  # noqa: E402
from domain.orders.service import OrderLineRequest, place_order  # noqa: E402
from gateway import create_app  # noqa: E402
from settings import Settings  # noqa: E402
from storage.clock import system_clock  # noqa: E402
from storage.models import Item, Market, Vendor  # noqa: E402
from tests import fake_providers as fp  # noqa: E402
from tests.processes import Process, free_port, start_gunicorn  # noqa: E402

BENCH = Path(__file__).resolve().parent
DURATION_SECONDS = 8
CONNECTIONS, THREADS = 32, 2
SESSIONS = 200  # interleaved: a session's next request is 100 requests later per thread
PUBLIC = "https://bench.example"
TOKEN = "bench-twilio-token"
SECRET_KEY = secrets.token_hex(32)  # production refuses the demo's
AT_TOKEN = secrets.token_urlsafe(24)  # and answers Africa's Talking 403 without its token
USSD_PATH = f"/africastalking/ussd?token={AT_TOKEN}"
SMS_PATH = f"/africastalking/sms?token={AT_TOKEN}"
MARKET_OPEN = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in Bali
MARKET_CLOSED = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


def say(line: str) -> None:
    print(line, flush=True)


# ---------------------------------------------------------------- databases


def sqlite_url(folder: Path, name: str) -> str:
    return f"sqlite:///{folder / name}.sqlite3"


def postgres_url(server: str, name: str) -> str:
    """A fresh database `name` on the server of `server` (dropped first if it exists)."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def prepared(url: str, *, large: bool) -> Settings:
    """Migrated, the demo catalog loaded, and with `large` 30,000 items in 3 x 200 x 50."""
    settings = Settings(
        database_url=url,
        public_base_url=PUBLIC,  # https: production, so its refusals apply, as deployed
        twilio_auth_token=TOKEN,
        at_webhook_token=AT_TOKEN,
        sms_provider="log",
        secret_key=SECRET_KEY,
    )
    app = create_app(settings)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    if large:
        with app.extensions["telepasar_db"].unit_of_work() as session:
            _generate_catalog(session)
    app.extensions["telepasar_db"].dispose()
    return settings


def _generate_catalog(session) -> None:
    markets = session.scalars(select(Market.id).order_by(Market.id)).all()[:3]
    for m, market_id in enumerate(markets):
        vendors = [
            dict(
                market_id=market_id,
                code=f"V{m}{v:03d}",
                name=f"Pedagang {m}-{v}",
                category="sayur",
                position=100 + v,
            )
            for v in range(200)
        ]
        session.execute(insert(Vendor), vendors)
        ids = session.scalars(
            select(Vendor.id).where(Vendor.code.like(f"V{m}%")).order_by(Vendor.id)
        ).all()
        session.execute(
            insert(Item),
            [
                dict(
                    vendor_id=vendor_id,
                    code=f"G{m}{v:03d}{i:02d}",
                    name=f"Barang {i}",
                    name_en=f"Goods {i}",
                    unit="buah",
                    price=1_000 + i,
                    position=i,
                )
                for v, vendor_id in enumerate(ids)
                for i in range(50)
            ],
        )


# ---------------------------------------------------------------- prepared requests


def form(**fields: str) -> str:
    return urlencode(fields)


def interleaved(sessions: list[list[tuple[str, str, str]]]) -> list[tuple[str, str, str]]:
    """Hop h of every session, then hop h + 1 of every session, ..."""
    return [hops[h] for h in range(len(sessions[0])) for hops in sessions]


def ussd_first_dials(count: int = 40_000) -> list[tuple[str, str, str]]:
    return [
        (
            USSD_PATH,
            "",
            form(
                sessionId=f"ATUid_f{n}",
                phoneNumber=f"+628124{n:07d}",
                serviceCode="*384*21#",
                networkCode="51010",
                text="",
            ),
        )
        for n in range(count)
    ]


def ussd_mid_order(hops: int = 200) -> list[tuple[str, str, str]]:
    """Each session: dial, language, market, then a trader and back, again and again."""
    sessions = []
    for n in range(SESSIONS):
        inputs = ["1", "1"] + ["1", "0"] * ((hops - 3) // 2 + 1)
        sessions.append(
            [
                (
                    USSD_PATH,
                    "",
                    form(
                        sessionId=f"ATUid_m{n}",
                        phoneNumber=f"+628125{n:07d}",
                        serviceCode="*384*21#",
                        networkCode="51010",
                        text="*".join(inputs[:h]),
                    ),
                )
                for h in range(hops)
            ]
        )
    return interleaved(sessions)


def twilio_gather_hops(settings: Settings, hops: int = 150) -> list[tuple[str, str, str]]:
    """Signed hops of calls: language, market, then a trader and back (`*`), again and again.

    One probe call through the app learns each step's URL (`?step=N`); every call follows it.
    """
    import xml.etree.ElementTree as ET

    client = create_app(settings).test_client()
    validator = RequestValidator(TOKEN)
    presses = [None, "1", "1"] + ["1", "*"] * hops
    paths, path = [], "/twilio/voice"
    probe = "CA" + "f" * 32
    for digits in presses[:hops]:
        params = _call_params(probe, digits)
        reply = client.post(
            path,
            data=params,
            headers={"X-Twilio-Signature": validator.compute_signature(PUBLIC + path, params)},
        )
        assert reply.status_code == 200, reply.data
        paths.append((path, digits))
        path = ET.fromstring(reply.data).find(".//Gather").get("action")
    sessions = []
    for n in range(SESSIONS):
        sid = f"CA{n:032x}"
        sessions.append(
            [
                (
                    p,
                    validator.compute_signature(PUBLIC + p, _call_params(sid, d)),
                    form(**_call_params(sid, d)),
                )
                for p, d in paths
            ]
        )
    return interleaved(sessions)


def _call_params(sid: str, digits: str | None) -> dict[str, str]:
    params = {
        "CallSid": sid,
        "AccountSid": "AC" + "1" * 32,
        "From": f"+62813{int(sid[2:], 16) % 10**7:07d}",
        "To": "+6236321234",
        "CallStatus": "in-progress",
    }
    if digits is not None:
        params["Digits"] = digits
    return params


def sms_orders(count: int = 40_000) -> list[tuple[str, str, str]]:
    return [
        (
            SMS_PATH,
            "",
            form(
                **{
                    "from": f"+628126{n:07d}",
                    "to": "21234",
                    "text": "PESAN B04 2, B06 1",
                    "id": f"ATXid_b{n}",
                }
            ),
        )
        for n in range(count)
    ]


def baseline_hops(count: int = 1_000) -> list[tuple[str, str, str]]:
    return [("/menu", "", form(CallSid=f"CA{n:032x}", Digits="1")) for n in range(count)]


# ---------------------------------------------------------------- serving and measuring


@dataclass
class Run:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    bad: int


def wrk(name: str, url: str, lines: list[tuple[str, str, str]], folder: Path) -> Run:
    file = folder / f"{name}.tsv"
    file.write_text("".join(f"{p}\t{s}\t{b}\n" for p, s, b in lines), encoding="utf-8")
    out = subprocess.run(
        [
            "wrk",
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{DURATION_SECONDS}s",
            "--timeout",
            "20s",
            "-s",
            str(BENCH / "replay.lua"),
            url,
            "--",
            str(file),
            str(THREADS),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    run = Run(
        name,
        result["requests"] / (result["duration_us"] / 1e6),
        result["p50_us"] / 1000,
        result["p99_us"] / 1000,
        result["bad"],
    )
    say(
        f"  {name}: {run.requests_per_second:.0f} req/s, p50 {run.p50_ms:.1f} ms, "
        f"p99 {run.p99_ms:.1f} ms, {run.bad} failed"
    )
    return run


def served(settings: Settings, folder: Path, scenarios: dict[str, Callable[[], list]]) -> list[Run]:
    """Each scenario against one gunicorn, after a warm-up: every worker has read the catalog
    once (what its first request after a change costs is said in NOTES.md), so the runs
    measure the steady state."""
    server, url = start_gunicorn(settings, folder / "gateway.log")
    try:
        warm_up(url)
        return [wrk(name, url, make(), folder) for name, make in scenarios.items()]
    finally:
        server.stop()


def warm_up(url: str, requests_each: int = 32) -> None:
    """First dials from several connections at once, so that every worker answers some."""
    import requests

    def dial(n: int) -> None:
        data = dict(sessionId=f"ATUid_warm{n}", phoneNumber=f"+628129{n:07d}", text="")
        requests.post(f"{url}{USSD_PATH}", data=data, timeout=30).raise_for_status()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(dial, range(requests_each)))


def redis_server(folder: Path, *, fsync_always: bool) -> tuple[Process, str]:
    """A redis-server of our own on a free loopback port (none of the machine's is touched):
    as installed (no snapshots), or writing and syncing its append-only file on every write."""
    port = free_port()
    data = folder / f"redis-{port}"
    data.mkdir()
    args = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--save", ""]
    args += ["--appendonly", "yes", "--appendfsync", "always"] if fsync_always else []
    log = folder / f"redis-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(["redis-server", *args], stdout=out, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return Process(process, log), f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"redis-server did not start:\n{log.read_text()}")


def peer_runs(settings: Settings, folder: Path) -> dict[str, list[Run]]:
    """The USSD hops served by the Redis design, with each Redis durability."""
    runs = {}
    for label, fsync_always in (("Redis as installed", False), ("appendfsync always", True)):
        redis, redis_url = redis_server(folder, fsync_always=fsync_always)
        os.environ["BENCH_REDIS_URL"] = redis_url  # the peer's gunicorn inherits it
        try:
            server, url = start_gunicorn(settings, folder / "peer.log", app="bench.redis_peer:app")
            try:
                runs[label] = [
                    wrk(f"{label}: {name}", url, make(), folder)
                    for name, make in (
                        ("USSD first dial", ussd_first_dials),
                        ("USSD mid-order hop", ussd_mid_order),
                    )
                ]
            finally:
                server.stop()
        finally:
            redis.stop()
            os.environ.pop("BENCH_REDIS_URL", None)
    return runs


# ---------------------------------------------------------------- in-process measures


# The fake provider in a process of its own, as a real provider is elsewhere: in the bench's
# process its thread would take turns with the worker's for Python's one lock.
FAKE_PROVIDER = (
    "import logging, sys; logging.disable(logging.WARNING); "
    "from tests import fake_providers as fp; fake, stop = fp.serve(); "
    "print(fake.url, flush=True); sys.stdin.read()"
)


def fake_provider_elsewhere() -> tuple[fp.FakeProviders, Callable[[], None]]:
    """The local fake provider (tests/fake_providers.py) served by another process."""
    process = subprocess.Popen(
        [sys.executable, "-c", FAKE_PROVIDER],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    fake = fp.FakeProviders()
    fake.url = process.stdout.readline().strip()

    def stop() -> None:
        process.stdin.close()
        process.wait(timeout=10)

    return fake, stop


def outbox_throughput(url: str, folder: Path, count: int = 1_000) -> dict[str, float]:
    """SMS/s from the outbox to the local fake provider (another process), through each
    provider's real SDK, one worker as `flask worker` runs it."""
    fake, stop = fake_provider_elsewhere()
    rates = {}
    try:
        for provider in ("twilio", "africastalking", "android"):
            settings = fp.pointed_at(
                fake,
                Settings(
                    database_url=url,
                    sms_provider=provider,
                    secret_key=SECRET_KEY,  # real providers configured: production's rules
                    at_webhook_token=AT_TOKEN,
                    android_webhook_key=SECRET_KEY,
                ),
            )
            app = create_app(settings)
            database = app.extensions["telepasar_db"]
            now = system_clock()
            with database.unit_of_work() as session:
                for n in range(count):
                    enqueue_sms(
                        session,
                        to=f"+628127{n:07d}",
                        body="Telepasar: uji kirim.",
                        kind="reply",
                        now=now,
                    )
            from providers.senders import make_sender

            sender = make_sender(settings)
            policy = OutboxPolicy(max_attempts=5, lease=dt.timedelta(seconds=60))
            started = time.perf_counter()
            sent = deliver_due(  # as the worker does (gateway/worker.py)
                database.unit_of_work,
                sender,
                clock=system_clock,
                policy=policy,
                worker_id="bench",
                limit=count,
                records=database.relaxed_unit_of_work,
            )
            elapsed = time.perf_counter() - started
            assert sent.sent == count, sent
            rates[provider] = count / elapsed
            say(f"  outbox via {provider}: {rates[provider]:.0f} SMS/s")
            database.dispose()
    finally:
        stop()
    return rates


def offer_fan_out(url: str, couriers: int = 500) -> float:
    """Milliseconds to offer one order to `couriers` free couriers of its market: the
    offers and their SMS written and committed."""
    app = create_app(Settings(database_url=url))
    database = app.extensions["telepasar_db"]
    with database.unit_of_work() as session:
        for n in range(couriers):
            courier = register_courier(
                session, phone=f"+628128{n:07d}", name=f"Kurir {n}", market="AB", now=MARKET_CLOSED
            )
            courier.available = True
        tomatoes = session.scalars(select(Item.id).where(Item.code == "B04")).one()
        placed = place_order(
            session,
            phone="+6281299990000",
            name="Ni Made Sari",
            address="Banjar Kauh",
            channel="ussd",
            rules=OrderRules(),
            lines=[OrderLineRequest(tomatoes, 2)],
            now=MARKET_CLOSED,
        )
    from storage.models import Order

    started = time.perf_counter()
    with database.unit_of_work() as session:  # committed, as the market's opening does
        order = session.get(Order, placed.order_id)
        offered = offer_order(session, order, now=MARKET_OPEN)
    elapsed = time.perf_counter() - started
    assert offered == couriers, offered
    database.dispose()
    say(f"  offer to {couriers} couriers: {elapsed * 1000:.0f} ms")
    return elapsed * 1000


# ---------------------------------------------------------------- the whole run


def main() -> None:
    started = time.monotonic()
    quiet = logging.getLogger("werkzeug")  # the fake provider's one line per request
    create_app(Settings(database_url="sqlite://"))  # logging configured once, then quietened
    quiet.setLevel(logging.WARNING)
    for name in ("domain", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="telepasar-bench-"))
    backends = [("SQLite", lambda name: sqlite_url(folder, name))]
    if server := os.environ.get("TEST_DATABASE_URL"):
        backends.append(("PostgreSQL", lambda name: postgres_url(server, f"bench_{name}")))

    say("Baseline: a stateless Flask endpoint with a fixed TwiML menu, same gunicorn settings")
    base_server, base_url = start_gunicorn(
        Settings(), folder / "baseline.log", app="bench.baseline:app"
    )
    try:
        baseline = wrk("baseline", base_url, baseline_hops(), folder)
    finally:
        base_server.stop()

    say("The design to beat: Flask + one Redis hash per session (bench/redis_peer.py)")
    peer = peer_runs(prepared(sqlite_url(folder, "peer"), large=False), folder)

    results = {}
    for backend, url_for in backends:
        say(f"{backend}, demo catalog (79 items):")
        demo_url = url_for("demo")
        demo = prepared(demo_url, large=False)
        runs = served(
            demo,
            folder,
            {
                "USSD first dial": ussd_first_dials,
                "USSD mid-order hop": ussd_mid_order,
                "Twilio Gather hop (signed)": partial(twilio_gather_hops, demo),
                "SMS keyword order": sms_orders,
            },
        )
        say(f"{backend}, generated catalog (3 x 200 x 50 = 30,000 items more):")
        large = prepared(url_for("large"), large=True)
        large_runs = served(
            large,
            folder,
            {
                "USSD first dial": ussd_first_dials,
                "USSD mid-order hop": ussd_mid_order,
            },
        )
        say(f"{backend}, the outbox and dispatch:")
        rates = outbox_throughput(demo_url, folder)
        fan_out = offer_fan_out(demo_url)
        results[backend] = (runs, large_runs, rates, fan_out)

    report = render(baseline, peer, results, time.monotonic() - started)
    (BENCH / "RESULTS.md").write_text(report, encoding="utf-8")
    shutil.rmtree(folder)  # kept when a run fails: the servers' logs are in it
    say(f"Written: bench/RESULTS.md ({time.monotonic() - started:.0f} s)")


# Each hop's target: a share of the baseline, and (for menu hops) at least the Redis design
# as installed, hop for hop (the Gather hop against its mid-order hop).
TARGETS = {
    "USSD first dial": (0.5, "USSD first dial"),
    "USSD mid-order hop": (0.5, "USSD mid-order hop"),
    "Twilio Gather hop (signed)": (0.5, "USSD mid-order hop"),
    "SMS keyword order": (0.25, None),
}


def render(baseline: Run, peer: dict[str, list[Run]], results: dict, seconds: float) -> str:
    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/run.py); rerun it to measure your machine.",
        "",
        f"- Machine: {machine()}",
        "- Server: gunicorn, 2 sync workers (`gateway/gunicorn_conf.py`), loopback; load: wrk,"
        f" {CONNECTIONS} connections, {THREADS} threads, {DURATION_SECONDS} s a run, same machine",
        f"- Whole run: {seconds:.0f} s",
        "",
        f"Baseline (stateless Flask, fixed TwiML): {baseline.requests_per_second:.0f} req/s, "
        f"p50 {baseline.p50_ms:.1f} ms, p99 {baseline.p99_ms:.1f} ms.",
        "",
        "The design to beat (bench/redis_peer.py: Flask, one Redis hash per session, the same"
        " menus and catalog):",
        "",
        "| Redis | hop | req/s | p50 ms | p99 ms | failed | ratio to baseline |",
        "|---|---|---|---|---|---|---|",
    ]
    reference = {}
    for label, runs in peer.items():
        for run in runs:
            hop = run.name.split(": ", 1)[1]
            reference.setdefault(hop, run)  # the first: Redis as installed
            ratio = run.requests_per_second / baseline.requests_per_second
            lines.append(
                f"| {label} | {hop} | {run.requests_per_second:.0f} | {run.p50_ms:.1f} | "
                f"{run.p99_ms:.1f} | {run.bad} | {ratio:.2f} |"
            )
    lines.append("")
    for backend, (runs, large_runs, rates, fan_out) in results.items():
        lines += [
            f"## {backend}",
            "",
            "Targets: menu hops at least 0.5 of the baseline's requests/s and at least the"
            " Redis design as installed; the SMS keyword order at least 0.25; p99 under 25 ms.",
            "",
            "| hop | req/s | p50 ms | p99 ms | failed | ratio to baseline | / Redis | target |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for run in runs:
            ratio = run.requests_per_second / baseline.requests_per_second
            share, peer_hop = TARGETS.get(run.name, (0.5, None))
            against = reference.get(peer_hop) if peer_hop else None
            to_peer = run.requests_per_second / against.requests_per_second if against else None
            ok = ratio >= share and run.p99_ms < 25 and (to_peer is None or to_peer >= 1)
            ok = ok and run.bad == 0  # a failed request is never a met target
            shown = "-" if to_peer is None else f"{to_peer:.2f}"
            lines.append(
                f"| {run.name} | {run.requests_per_second:.0f} | {run.p50_ms:.1f} | "
                f"{run.p99_ms:.1f} | {run.bad} | {ratio:.2f} | {shown} | {verdict(ok)} |"
            )
        lines += [
            "",
            "Hop cost with the generated catalog (30,000 more items) against the demo catalog:",
            "",
            "| hop | demo req/s | large req/s | large / demo | target (within 10%) |",
            "|---|---|---|---|---|",
        ]
        demo_by_name = {run.name: run for run in runs}
        for run in large_runs:
            demo_run = demo_by_name[run.name]
            ratio = run.requests_per_second / demo_run.requests_per_second
            lines.append(
                f"| {run.name} | {demo_run.requests_per_second:.0f} | "
                f"{run.requests_per_second:.0f} | {ratio:.2f} | {verdict(ratio >= 0.9)} |"
            )
        lines += [
            "",
            "| outbox, 1,000 SMS to the local fake provider | SMS/s | target (>= 300) |",
            "|---|---|---|",
        ]
        for provider, rate in rates.items():
            lines.append(f"| {provider} SDK | {rate:.0f} | {verdict(rate >= 300)} |")
        lines += [
            "",
            f"Offer one order to 500 couriers: {fan_out:.0f} ms "
            f"(target under 200 ms: {verdict(fan_out < 200)}).",
            "",
        ]
    lines += (
        [(BENCH / "NOTES.md").read_text(encoding="utf-8")] if (BENCH / "NOTES.md").exists() else []
    )
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


if __name__ == "__main__":
    main()
