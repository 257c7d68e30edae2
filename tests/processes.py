"""Telepasar as real processes for tests: `flask worker` and the web gateway, given Settings."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path

import requests

from settings import PROJECT_ROOT, Settings


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes `Settings.from_env()` give `settings` in a child process
    (a setting left empty is not set at all: PROMETHEUS_MULTIPROC_DIR set empty would put
    prometheus_client's files in the working directory)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    for field in fields(Settings):
        value = str(getattr(settings, field.name))
        if value:
            env[field.name.upper()] = value
        else:
            env.pop(field.name.upper(), None)
    return env


@dataclass
class Process:
    """A child process and the file its output goes to."""

    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, then wait; killed if it does not end in time. Returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_flask(settings: Settings, log: Path, *args: str) -> Process:
    """`python -m flask --app gateway <args>` with these settings, output into `log`."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "gateway", *args],
            cwd=PROJECT_ROOT,
            env=settings_env(settings),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Process(process, log)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gateway(settings: Settings, log: Path) -> tuple[Process, str]:
    """The web gateway (Flask's threaded server) on a free loopback port; returns it and its URL."""
    port = free_port()
    server = start_flask(
        settings, log, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"
    )
    return _when_healthy(server, f"http://127.0.0.1:{port}")


def _when_healthy(server: Process, url: str) -> tuple[Process, str]:
    """Wait until `server` answers /healthz (30 s at most; its output shown if it never does)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return server, url
        except (requests.ConnectionError, requests.Timeout):  # not listening, or still booting
            pass
        if server.process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise AssertionError(f"the gateway did not start:\n{server.output()}")
        time.sleep(0.1)


def gunicorn_command(port: int, workers: int, app: str = "gateway:create_app()") -> list[str]:
    """gunicorn as the README deploys it, with `gateway/gunicorn_conf.py`, on loopback."""
    command = [sys.executable, "-m", "gunicorn", "-c", "python:gateway.gunicorn_conf"]
    return command + ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), app]


def start_gunicorn(
    settings: Settings, log: Path, *, workers: int = 2, app: str = "gateway:create_app()"
) -> tuple[Process, str]:
    """The gateway (or another WSGI `app` with a /healthz) as the README deploys it: gunicorn
    with `gateway/gunicorn_conf.py`, on a free loopback port; returns it and its URL once
    /healthz answers."""
    port = free_port()
    command = gunicorn_command(port, workers, app)
    if not settings.prometheus_multiproc_dir:  # its own counts, not the checkout's
        settings = replace(settings, prometheus_multiproc_dir=str(log.parent / "prometheus"))
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=settings_env(settings),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return _when_healthy(Process(process, log), f"http://127.0.0.1:{port}")
