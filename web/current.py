"""What the app handling the current request or command holds: its settings, clock, database.

Handlers and commands read them only through these functions (never `current_app.config`).
"""

from __future__ import annotations

import datetime as dt

from flask import current_app

from settings import Settings
from storage.clock import Clock
from storage.database import Database


def current_database() -> Database:
    """The database of the app handling the current request or command."""
    return current_app.extensions["telepasar_db"]


def current_clock() -> Clock:
    """The app's clock: the only source of "now" for requests, commands and the worker."""
    return current_app.config["TELEPASAR_CLOCK"]


def current_time() -> dt.datetime:
    """The current time by the app's clock (aware, UTC)."""
    return current_clock()()


def current_settings() -> Settings:
    """The settings of the app handling the current request or command."""
    return current_app.config["TELEPASAR_SETTINGS"]
