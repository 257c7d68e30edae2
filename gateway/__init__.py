"""The app: the Flask factory that puts the rooms together (`app.py`), the CLI, the worker
loop, gunicorn's settings.

Importing this package imports nothing else: gunicorn reads its settings from
`gateway.gunicorn_conf`, and its master must not load the app (nor `prometheus_client`)
before those settings have prepared PROMETHEUS_MULTIPROC_DIR for the workers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from settings import Settings
    from storage.clock import Clock


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Flask:
    """Build the gateway; with no settings, read them from the environment.

    `clock` tells the time (aware, UTC) to every request, command and worker pass of this
    app (the system's clock when None); tests pass a fixed one. Read from the environment,
    settings Telepasar cannot work with stop the start with one line naming the variable
    (`SystemExit`), not a traceback. In production (a real provider, or an https address)
    settings that would let anyone in stop it too, one line per problem: every process (the
    web server, the worker, each command) is built here.
    """
    from gateway.app import build_app
    from storage.clock import system_clock

    return build_app(settings, clock=clock or system_clock)
