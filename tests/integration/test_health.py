"""`/healthz` and `/healthz/worker` tell the truth: 503 with the reason when they cannot work."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from dataclasses import replace

from alembic import command
from sqlalchemy import update
from sqlalchemy.orm import Session

from domain.messaging.outbox import enqueue_sms
from gateway import create_app
from settings import Settings
from storage.db import alembic_config, head_revision, make_engine
from storage.models import OutboundMessage
from tests.db_faults import write_lock_held

PHONE = "+6281234567890"


def get(app, path: str = "/healthz"):
    response = app.test_client().get(path)
    return response.status_code, response.get_json()


def assert_nothing_private(body: dict) -> None:
    text = str(body)
    assert not re.search(r"\d{8,}", text), text  # no phone number
    assert "token" not in text.lower()


def test_healthz_is_ok_with_the_outbox_figures(app, clock, db: Session):
    enqueue_sms(db, to=PHONE, body="Halo", kind="reply", now=clock.now)
    db.commit()
    clock.now += dt.timedelta(seconds=42)

    status, body = get(app)

    assert status == 200
    assert body == {
        "status": "ok",
        "database": "ok",
        "outbox_backlog": 1,
        "oldest_due_seconds": 42,
        "worker_heartbeat": None,
        "worker_heard_seconds_ago": None,
    }
    assert_nothing_private(body)


def test_healthz_says_503_when_the_database_has_no_schema(tmp_path, clock):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/empty.sqlite3"), clock=clock)
    status, body = get(app)
    assert status == 503
    assert body["reason"].startswith(
        f"database schema is at nothing, this code needs {head_revision()}"
    )
    assert "flask --app gateway migrate" in body["reason"]


def test_healthz_says_503_when_the_schema_is_behind(settings, make_app):
    engine = make_engine(settings.database_url)
    command.downgrade(alembic_config(engine), "0004")
    engine.dispose()
    status, body = get(make_app(settings))
    assert status == 503
    assert f"schema is at 0004, this code needs {head_revision()}" in body["reason"]


def test_healthz_says_503_when_the_database_file_is_read_only(tmp_path, clock, demo_database_file):
    path = tmp_path / "read-only.sqlite3"
    shutil.copy(demo_database_file, path)
    # As root a file's mode does not stop writes: open it read-only, as a read-only mount would.
    url = f"sqlite:///file:{path}?mode=ro&uri=true"
    app = create_app(Settings(database_url=url), clock=clock)
    status, body = get(app)
    assert status == 503
    assert body["reason"] == "database cannot take a write within 1 s: database read-only"


def test_healthz_says_503_when_another_process_holds_the_write_lock(settings, make_app):
    app = make_app(settings)
    with write_lock_held(settings):
        status, body = get(app)
    assert status == 503
    assert body["reason"].startswith("database cannot take a write within 1 s: ")
    assert body["reason"].endswith("database locked")
    assert get(app)[0] == 200  # and well again once the lock is released


def test_healthz_says_503_when_the_database_does_not_answer(tmp_path, clock):
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path}/missing/dir/x.sqlite3"), clock=clock
    )
    (tmp_path / "missing" / "dir").rmdir()  # the engine made the folder; take it away again
    status, body = get(app)
    assert status == 503
    assert body["status"] == "error" and body["reason"].endswith(": database unreachable")


def test_healthz_worker_needs_a_worker_heard_from_lately(app, clock):
    status, body = get(app, "/healthz/worker")
    assert status == 503 and body["reason"] == "no worker has ever been heard from"

    assert app.test_cli_runner().invoke(args=["worker", "--once"]).exit_code == 0
    status, body = get(app, "/healthz/worker")
    assert status == 200 and body["worker_heard_seconds_ago"] == 0
    assert body["worker_heartbeat"] == clock.now.isoformat()
    assert get(app)[1]["worker_heartbeat"] == clock.now.isoformat()

    clock.now += dt.timedelta(minutes=3)
    status, body = get(app, "/healthz/worker")
    assert status == 503
    assert body["reason"] == "no worker heard from for 180 s (limit 120 s)"


def test_healthz_worker_says_503_when_the_outbox_is_stuck(app, clock, db: Session):
    assert app.test_cli_runner().invoke(args=["worker", "--once"]).exit_code == 0
    enqueue_sms(db, to=PHONE, body="Halo", kind="reply", now=clock.now)
    db.execute(update(OutboundMessage).values(next_try_at=clock.now - dt.timedelta(minutes=6)))
    db.commit()

    status, body = get(app, "/healthz/worker")

    assert status == 503
    assert body["reason"] == "the oldest due SMS has waited 360 s (limit 300 s)"
    assert body["outbox_backlog"] == 1
    assert_nothing_private(body)


def test_healthz_worker_is_503_when_the_database_does_not_answer(settings, make_app, tmp_path):
    app = make_app(replace(settings, database_url=f"sqlite:///{tmp_path}/gone/x.sqlite3"))
    (tmp_path / "gone").rmdir()
    status, body = get(app, "/healthz/worker")
    assert status == 503 and body["reason"] == "database does not answer: database unreachable"


def test_healthz_names_the_kind_of_fault_never_the_host_port_or_user(settings, make_app):
    hidden = "postgresql+psycopg://shopkeeper:s3cret@127.0.0.1:1/telepasar"
    app = make_app(replace(settings, database_url=hidden, database_lock_wait_seconds=0.5))
    for path in ("/healthz", "/healthz/worker"):
        status, body = get(app, path)
        assert status == 503
        shown = json.dumps(body)
        assert "database unreachable" in shown, shown
        for secret in ("shopkeeper", "s3cret", "127.0.0.1", ":1", "port"):
            assert secret not in shown, (secret, shown)
