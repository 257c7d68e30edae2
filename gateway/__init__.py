"""The web edge: the Flask app factory, one module per provider x channel, senders, the CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Flask

from gateway import (
    africastalking_sms,
    africastalking_ussd,
    africastalking_voice,
    android_sms,
    health,
    twilio_sms,
    twilio_voice,
    voice,
)
from gateway.cli import register_commands
from gateway.database import Database
from gateway.logs import configure_logging
from settings import Settings
from storage.models import utcnow

BLUEPRINTS = (
    health.blueprint,
    africastalking_ussd.blueprint,
    africastalking_voice.blueprint,
    africastalking_sms.blueprint,
    android_sms.blueprint,
    twilio_sms.blueprint,
    twilio_voice.blueprint,
    voice.blueprint,
)


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], dt.datetime] = utcnow
) -> Flask:
    """Build the gateway; with no settings, read them from the environment.

    `clock` tells the time (aware, UTC); tests pass a fixed one to pin market hours.
    """
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key, TELEPASAR_SETTINGS=settings, TELEPASAR_CLOCK=clock
    )
    app.extensions["telepasar_db"] = Database(settings.database_url)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    register_commands(app)
    configure_logging()
    return app
