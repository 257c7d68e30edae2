"""A setting Telepasar cannot work with stops the start with one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway import create_app
from settings import PROJECT_ROOT, Settings, SettingsError


def start(command: str, tmp_path: Path, **environ: str) -> subprocess.CompletedProcess:
    """Run `flask --app gateway <command>` as an operator would, with these variables set."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/ok.sqlite3", **environ}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "gateway", *command.split()],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "url, message",
    [
        ("not a url", "DATABASE_URL is not a database URL (e.g. sqlite:///"),
        ("mysql://shop:s3cret@db/telepasar", "DATABASE_URL=mysql://shop:***@db/telepasar: no "),
        ("sqlite:///{file}/sub/telepasar.sqlite3", "{file}/sub/telepasar.sqlite3: its folder"),
    ],
    ids=["not-a-url", "unknown-driver", "folder-under-a-file"],
)
def test_a_bad_database_url_stops_the_start_with_one_line(url, message, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    result = start("worker --once", tmp_path, DATABASE_URL=url.format(file=a_file))

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no traceback
    assert lines[0].startswith("Telepasar cannot start: ")
    assert message.format(file=a_file) in lines[0]
    assert "s3cret" not in result.stderr


def test_any_bad_setting_stops_the_start_with_one_line(tmp_path):
    result = start("worker --once", tmp_path, SMS_PROVIDER="pigeon")
    assert result.returncode != 0
    assert result.stderr.strip() == (
        "Telepasar cannot start: SMS_PROVIDER='pigeon': "
        "choose one of log, twilio, africastalking, android"
    )


def test_settings_passed_in_raise_for_the_caller_to_handle(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    with pytest.raises(SettingsError, match="its folder cannot be created"):
        create_app(Settings(database_url=f"sqlite:///{a_file}/x.sqlite3"))


def test_ctrl_c_ends_make_run_with_0_and_no_error_from_make(tmp_path, demo_database_file):
    """`make run`'s recipe (gateway/devrun.py) in a terminal: Ctrl-C stops the gateway and
    the worker, and make, which a Ctrl-C would otherwise kill with an error, ends with 0."""
    import shutil
    import socket

    import pexpect

    database = tmp_path / "telepasar.sqlite3"
    shutil.copy(demo_database_file, database)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    makefile = tmp_path / "Makefile"
    makefile.write_text(f"run:\n\t@{sys.executable} -m gateway.devrun --port {port}\n")
    environ = dict(os.environ, DATABASE_URL=f"sqlite:///{database}", PYTHONPATH=str(PROJECT_ROOT))
    make = pexpect.spawn(
        "make", ["-f", str(makefile), "run"], cwd=PROJECT_ROOT, env=environ, timeout=60,
        encoding="utf-8",
    )  # fmt: skip
    make.expect("Outbox worker .* started")
    for _ in range(100):  # the gateway listens
        with socket.socket() as client:
            if client.connect_ex(("127.0.0.1", port)) == 0:
                break
        make.expect([pexpect.TIMEOUT], timeout=0.1)

    make.sendintr()  # Ctrl-C, to the terminal's foreground process group

    make.expect(pexpect.EOF)
    make.close()
    assert (make.exitstatus, make.signalstatus) == (0, None), make.before
    assert "Telepasar stopped." in make.before and "make: ***" not in make.before


def test_two_gunicorns_on_one_machine_share_no_control_socket(
    tmp_path, demo_database_file, monkeypatch
):
    """gunicorn 27 would put every master's control socket at one path under the user's
    home (the bench beside a test, staging beside production): it is off."""
    import shutil

    import requests

    from tests.processes import start_gunicorn

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    servers = []
    try:
        for name in ("staging", "production"):
            database = tmp_path / f"{name}.sqlite3"
            shutil.copy(demo_database_file, database)
            settings = Settings(database_url=f"sqlite:///{database}", secret_key=name)
            servers.append(start_gunicorn(settings, tmp_path / f"{name}.log", workers=1))
        for _, url in servers:
            assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
        assert list(home.iterdir()) == []  # no ~/.gunicorn/gunicorn.ctl
    finally:
        for server, _ in servers:
            server.stop()
