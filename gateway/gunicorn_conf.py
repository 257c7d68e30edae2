"""gunicorn's settings for Telepasar in production (`gunicorn -c python:gateway.gunicorn_conf`).

Every value can be overridden on gunicorn's command line (`--bind`, `--workers`); the app's
own settings come from the environment through `settings.py` as for every command. The
README's "Deploying" section has the whole command; `make bench` and the concurrency tests
run the gateway exactly this way.
"""

# Loopback: a TLS proxy (Caddy, nginx) in front answers the providers.
bind = "127.0.0.1:8000"
# Sync workers, one request at a time each: a hop is a few milliseconds of CPU and one
# database transaction. About one per core (`--workers`), more when the database is
# PostgreSQL.
workers = 2
# Twilio and Africa's Talking give up after about 15 s; a request is never useful later.
timeout = 20
graceful_timeout = 20
# The app's own logging masks phone numbers and tokens; the access log never prints a query
# string (Africa's Talking's ?token=) and never a form body. The last field is the
# request's id, as the app logged it and sent it back (X-Request-Id).
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'
# gunicorn 27's control socket would sit at the same path under the user's home for every
# master on the machine (the bench and a test, staging and production would share it);
# Telepasar does not use it.
control_socket_disable = True
# Each worker builds its own app and database connections after the fork (no connection is
# ever shared between processes); a bad setting stops every worker with one line naming it.
preload_app = False


def _log_format() -> str:
    """LOG_FORMAT, or `text` when the settings cannot be read (on_starting then says why)."""
    from settings import Settings, SettingsError

    try:
        return Settings.from_env().log_format
    except SettingsError:
        return "text"


# LOG_FORMAT=json: gunicorn's own lines (the access log, its errors) are JSON objects too,
# masked as the app's are. Each key replaces gunicorn's default of it whole; its loggers
# write once (no second copy through the root's handler, which the app's lines use).
if _log_format() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": ["error_console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
        "formatters": {"json": {"()": "web.logs.RedactingJsonFormatter"}},
        "handlers": {
            "console": {
                "class": "web.logs.MaskedStreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
            "error_console": {
                "class": "web.logs.MaskedStreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
        },
    }


def _metrics_directory_then_the_app() -> None:
    """The workers' counts in one directory (telemetry/multiprocess.py), made ready before
    `prometheus_client` is first imported; then the app's modules, imported once here so
    that each worker starts with them loaded (no app is built, no database opened: each
    worker builds its own after the fork, and its counts go to a file of its own)."""
    from settings import INSTANCE_DIR, shared_metrics_directory
    from telemetry.multiprocess import prepare

    prepare(shared_metrics_directory(INSTANCE_DIR / "prometheus"))
    import gateway.app  # noqa: F401


_metrics_directory_then_the_app()


def on_starting(server: object) -> None:
    """Settings that cannot work, or that production refuses, stop gunicorn itself at once
    (one line per problem) rather than each worker after the other, for ever."""
    from settings import Settings, SettingsError, refusal_lines

    try:
        problems = Settings.from_env().production_problems()
    except SettingsError as exc:
        problems = str(exc).splitlines()
    if problems:
        raise SystemExit(refusal_lines(problems))


def child_exit(server: object, worker: object) -> None:
    """A worker ended: its counts stay (they are totals), its live values go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
