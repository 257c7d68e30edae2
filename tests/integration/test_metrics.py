"""`/metrics`: what an operator's Prometheus reads after real traffic, and who may read it.

Counters live in the process (tests/xdist run one test at a time in each), so each test
reads the difference between a scrape before and a scrape after what it does.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Market, Order
from tests.integration.test_ussd_order import order_tomatoes_and_rice
from tests.processes import start_flask, start_gunicorn
from tests.provider_sms import AT_TOKEN, at_sms, run_worker
from tests.ussd import UssdSession, option_key

TOKEN = "metrics-token-0123456789abcdef0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
SMS_ORDER = ["NAMA Ni Made Sari", "ALAMAT Banjar Kauh, Desa Bugbug", "PESAN B04 2", "YA"]

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client) -> Samples:
    """Every sample of one scrape of /metrics, by name and labels."""
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much the sample `name` with exactly `labels` grew between two scrapes."""
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


@pytest.fixture
def metrics_app(route_settings, make_app, courier_on_duty):
    """An app that sends SMS through Africa's Talking (its fake) and shows /metrics."""
    return make_app(replace(route_settings, sms_provider="africastalking", metrics_token=TOKEN))


def test_a_scrape_after_a_ussd_order_and_an_sms_order_counts_both(metrics_app, fake, db: Session):
    client = metrics_app.test_client()
    before = scrape(client)

    ussd = UssdSession(client, phone="+6281234567890", query=f"?token={AT_TOKEN}")
    summary = order_tomatoes_and_rice(ussd)
    assert ussd.press(option_key(summary, "Pesan sekarang")).startswith("END Terima kasih!")
    ussd_requests = 1 + len(ussd.inputs)  # the dial, then one request per input
    for n, text in enumerate(SMS_ORDER):
        at_sms(client, text, f"ATXid_metrics_{n}", phone="+6281234500077")
    at_sms(client, SMS_ORDER[0], "ATXid_metrics_0", phone="+6281234500077")  # a retry
    run_worker(metrics_app)
    after = scrape(client)

    orders = db.scalars(select(Order).order_by(Order.id)).all()
    assert [order.channel for order in orders] == ["ussd", "sms"]
    markets = [db.get(Market, order.market_id).code for order in orders]
    placed = "telepasar_orders_placed_total"
    assert grew(before, after, placed, channel="ussd", market=markets[0]) == 1
    assert grew(before, after, placed, channel="sms", market=markets[1]) == 1
    hops = "telepasar_menu_hop_duration_seconds_count"
    assert grew(before, after, hops, channel="ussd") == ussd_requests
    assert grew(before, after, hops, channel="sms") == 0  # keywords, not the numbered menus
    requests_ = "telepasar_http_requests_total"
    assert grew(before, after, requests_, route="/africastalking/ussd", status="200") == (
        ussd_requests
    )
    assert grew(before, after, requests_, route="/africastalking/sms", status="200") == 5
    assert grew(before, after, "telepasar_http_request_duration_seconds_count",
                route="/africastalking/ussd") == ussd_requests  # fmt: skip
    # Four SMS stored; the provider's retry of the first is not a fifth.
    stored = "telepasar_inbound_messages_stored_total"
    assert grew(before, after, stored, provider="africastalking") == 4
    # Both orders offered to the courier on duty, who has not answered yet.
    assert grew(before, after, "telepasar_courier_offers_sent_total") == len(orders)
    assert grew(before, after, "telepasar_courier_offers_accepted_total") == 0
    # Every SMS the worker handed the provider, as the fake provider received them.
    assert grew(before, after, "telepasar_sms_sent_total", provider="africastalking") == len(
        fake.received
    )
    assert len(fake.received) >= 5  # 3 replies, 2 confirmations, 2 offers at least
    assert grew(before, after, "telepasar_sms_failed_total", provider="africastalking") == 0
    assert grew(before, after, "telepasar_worker_pass_duration_seconds_count") == 1
    # Read from the database at the scrape: nothing waits in the outbox, a worker was heard.
    assert after[("telepasar_outbox_backlog_messages", frozenset())] == 0
    assert after[("telepasar_outbox_oldest_due_age_seconds", frozenset())] == 0
    assert after[("telepasar_worker_heartbeat_age_seconds", frozenset())] == 0
    assert after[("telepasar_database_up", frozenset())] == 1
    assert not any("62812" in str(key) for key in after)  # no phone number in any label


def test_a_backlog_and_its_age_are_read_from_the_database(metrics_app, clock):
    client = metrics_app.test_client()
    for n, text in enumerate(SMS_ORDER[:2]):
        at_sms(client, text, f"ATXid_backlog_{n}")
    clock.now += dt.timedelta(minutes=7)

    after = scrape(client)

    assert after[("telepasar_outbox_backlog_messages", frozenset())] == 2
    assert after[("telepasar_outbox_oldest_due_age_seconds", frozenset())] == 7 * 60
    assert ("telepasar_worker_heartbeat_age_seconds", frozenset()) not in after  # never heard


def test_an_accepted_offer_is_counted_with_its_wait(metrics_app, clock, courier_on_duty):
    client = metrics_app.test_client()
    ussd = UssdSession(client, phone="+6281234567890", query=f"?token={AT_TOKEN}")
    ussd.press(option_key(order_tomatoes_and_rice(ussd), "Pesan sekarang"))
    before = scrape(client)
    clock.now += dt.timedelta(seconds=150)
    order_number = ussd.last.split("Pesanan ")[1].split(" ")[0]

    at_sms(client, f"YA {order_number}", "ATXid_accept", phone=courier_on_duty)
    after = scrape(client)

    assert grew(before, after, "telepasar_courier_offers_accepted_total") == 1
    taken = "telepasar_order_taken_after_seconds_bucket"
    assert grew(before, after, taken, le="120.0") == 0  # waited 150 s
    assert grew(before, after, taken, le="300.0") == 1


@pytest.mark.parametrize(
    "token, headers",
    [
        ("", {}),
        ("", BEARER),  # no token set: nobody may read it, whatever they send
        (TOKEN, {}),
        (TOKEN, {"Authorization": "Bearer wrong-token"}),
        (TOKEN, {"Authorization": f"Basic {TOKEN}"}),
        (TOKEN, {"Authorization": TOKEN}),
    ],
)
def test_metrics_answer_404_without_the_token(make_app, settings, token, headers):
    client = make_app(replace(settings, metrics_token=token)).test_client()

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 404
    assert b"telepasar_" not in response.data


def test_the_bearer_scheme_is_read_in_any_case(make_app, settings):
    client = make_app(replace(settings, metrics_token=TOKEN)).test_client()

    response = client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})

    assert response.status_code == 200


@pytest.mark.sqlite_only
def test_a_database_that_does_not_answer_is_a_gauge_not_an_error(make_app, settings, tmp_path):
    broken = replace(settings, metrics_token=TOKEN, database_url=f"sqlite:///{tmp_path}/no/db")
    client = make_app(broken).test_client()

    samples = scrape(client)

    assert samples[("telepasar_database_up", frozenset())] == 0
    assert ("telepasar_outbox_backlog_messages", frozenset()) not in samples


@pytest.mark.sqlite_only
def test_production_refuses_a_short_metrics_token(settings):
    unsafe = replace(settings, public_base_url="https://telepasar.example", metrics_token="short")

    assert any("METRICS_TOKEN" in problem for problem in unsafe.production_problems())


@pytest.mark.sqlite_only
def test_under_gunicorn_every_process_counts_into_one_scrape_and_logs_json(settings, tmp_path):
    """Two gunicorn workers and a `flask worker` pass, as the README deploys them: one
    scrape, whichever worker answers it, adds up all three; every line is a JSON object."""
    served = replace(
        settings,
        metrics_token=TOKEN,
        log_format="json",
        prometheus_multiproc_dir=str(tmp_path / "prometheus"),
    )
    server, url = start_gunicorn(served, tmp_path / "gunicorn.log", workers=2)
    try:
        for n in range(12):
            response = requests.post(
                f"{url}/africastalking/ussd",
                data={"sessionId": f"ATUid_{n}", "serviceCode": "*123#",
                      "phoneNumber": "+6281234567890", "networkCode": "51010", "text": ""},
                headers={"X-Request-Id": f"load-{n}"},
                timeout=10,
            )  # fmt: skip
            assert response.status_code == 200 and response.headers["X-Request-Id"] == f"load-{n}"
        worker = start_flask(served, tmp_path / "worker.log", "worker", "--once")
        assert worker.process.wait(timeout=60) == 0, worker.output()
        scrapes = [
            requests.get(f"{url}/metrics", headers=BEARER, timeout=10).text for _ in range(6)
        ]
    finally:
        server.stop()

    for text in scrapes:
        samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
        ussd = frozenset({("channel", "ussd")})
        assert samples[("telepasar_menu_hop_duration_seconds_count", ussd)] == 12
        assert samples[("telepasar_worker_pass_duration_seconds_count", frozenset())] == 1
    lines = [json.loads(line) for line in server.output().splitlines() if line.strip()]
    hops = [line for line in lines if "POST /africastalking/ussd" in line["message"]]
    assert {line["logger"] for line in hops} == {"gunicorn.access"}
    assert [line["request_id"] for line in hops] == [f"load-{n}" for n in range(12)]
    assert "6281234567890" not in server.output()


def test_the_dashboard_and_the_alerts_ask_only_for_metrics_there_are(metrics_app, make_app):
    app = make_app(replace(metrics_app.config["TELEPASAR_SETTINGS"], missed_call_enabled=True))
    run_worker(app)  # a heartbeat: its age is a gauge then
    response = app.test_client().get("/metrics", headers=BEARER)
    families = list(text_string_to_metric_families(response.get_data(as_text=True)))
    there = {
        family.name + suffix
        for family in families
        for suffix in ("", "_total", "_bucket", "_count", "_sum")
    }
    ours = {family.name for family in families if family.name.startswith("telepasar_")}
    docs = Path(__file__).parents[2] / "docs" / "monitoring"
    dashboard = json.loads((docs / "telepasar-dashboard.json").read_text())
    panels = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    rules = (docs / "telepasar-alerts.yml").read_text()

    asked = set(re.findall(r"telepasar_[a-z_]+", panels + rules))

    assert asked <= there, asked - there
    shown = {name.removesuffix("_total") for name in re.findall(r"telepasar_[a-z_]+", panels)}
    shown |= {re.sub(r"_(bucket|count|sum)$", "", name) for name in shown}
    assert ours <= shown, ours - shown  # every metric has a panel


def test_an_order_given_by_hand_is_not_an_offer_accepted(metrics_app, clock, courier_on_duty):
    """Not even to the courier who has its offer open."""
    from domain.delivery.dispatch import assign_by_hand
    from storage.models import Courier

    client = metrics_app.test_client()
    ussd = UssdSession(client, phone="+6281234567890", query=f"?token={AT_TOKEN}")
    ussd.press(option_key(order_tomatoes_and_rice(ussd), "Pesan sekarang"))
    before = scrape(client)
    database = metrics_app.extensions["telepasar_db"]
    with database.unit_of_work() as session:
        courier = session.scalars(select(Courier).where(Courier.phone == courier_on_duty)).one()
        order = session.scalars(select(Order)).one()
        assert order.state == "offered"  # to that courier
        assert assign_by_hand(session, order, courier, now=clock.now) is None

    after = scrape(client)

    assert grew(before, after, "telepasar_courier_offers_accepted_total") == 0
    assert grew(before, after, "telepasar_order_taken_after_seconds_count") == 0
