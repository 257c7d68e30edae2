"""The Flask factory that puts the rooms together: the provider edge, the console,
`/healthz`, `/metrics`, the commands (`gateway.create_app` builds it)."""

from __future__ import annotations

import logging

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from console import init_console
from gateway import health, metrics
from gateway.cli import register_commands
from providers import (
    africastalking_sms,
    africastalking_ussd,
    africastalking_voice,
    android_sms,
    twilio_sms,
    twilio_voice,
    voice,
)
from providers.sms import NotStored
from settings import Settings, SettingsError, refusal_lines
from storage.clock import Clock, system_clock
from storage.database import Database
from web.logs import configure_logging, track_request_ids
from web.row_ids import RowIdConverter

log = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 64 * 1024

BLUEPRINTS = (
    health.blueprint,
    metrics.blueprint,
    africastalking_ussd.blueprint,
    africastalking_voice.blueprint,
    africastalking_sms.blueprint,
    android_sms.blueprint,
    twilio_sms.blueprint,
    twilio_voice.blueprint,
    voice.blueprint,
)


def build_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> Flask:
    """The app `gateway.create_app` returns (its docstring says what it does)."""
    if settings is not None:
        return _build(settings, clock)
    try:
        return _build(Settings.from_env(), clock)
    except SettingsError as exc:
        raise SystemExit(refusal_lines(str(exc).splitlines())) from None


def _build(settings: Settings, clock: Clock) -> Flask:
    """The app for these settings (SettingsError when they cannot work or are unsafe)."""
    problems = settings.production_problems()
    if problems:
        raise SettingsError("\n".join(problems))
    database = Database(
        settings.database_url, lock_wait_seconds=settings.database_lock_wait_seconds
    )
    app = Flask(__name__)
    if settings.trusted_proxies:
        # The client's address from X-Forwarded-For, as many hops back as there are proxies
        # of ours: anything further left was written by the client and is not believed.
        proxies = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TELEPASAR_SETTINGS=settings,
        TELEPASAR_CLOCK=clock,
        # Every provider's form or JSON is far smaller; a larger body is refused with 413
        # before it is read (the console's CSV upload has its own, larger limit).
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
    )
    app.extensions["telepasar_db"] = database
    track_request_ids(app)  # first: every other hook's log lines carry the id
    metrics.count_requests(app)
    app.url_map.converters["int"] = RowIdConverter
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    init_console(app, settings)
    app.register_error_handler(NotStored, _not_stored)
    register_commands(app)
    configure_logging(settings.log_format)
    for closed in settings.closed_webhooks():  # said once, at the start, not per request
        log.warning("In production %s (set it to use them)", closed)
    return app


def _not_stored(error: NotStored) -> Response:
    """Tell the provider to send it again: a 2xx would tell it the message is safe with us."""
    return Response(
        "Not stored: please send again.\n",
        status=503,
        mimetype="text/plain",
        headers={"Retry-After": "10"},
    )
