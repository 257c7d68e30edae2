"""The call-center console: `/console/`, server-rendered pages behind a login.

Accounts are Flask-Login sessions (`staff` rows, passwords hashed with werkzeug.security);
every form carries a CSRF token (Flask-WTF), and a POST without a valid one gets 400. Every
page but the login page needs a login; admin pages answer 403 to operators. Failed logins
for one user or from one address slow down (domain/office/staff.py) and are logged.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from flask import Blueprint, Flask, Response, abort, g, redirect, render_template, request, url_for
from flask import session as cookie
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from console.texts import LANGUAGES, TEXTS
from domain.phones import friendly_phone, mask_phone
from settings import DEFAULT_TIMEZONE, Settings
from storage.models import Staff
from voice_prompts import format_rupiah
from web.current import current_database
from web.logs import redact

LOCAL_TIME = ZoneInfo(DEFAULT_TIMEZONE)

blueprint = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
csrf = CSRFProtect()
login_manager = LoginManager()
UPLOAD_BYTES = 2 * 1024 * 1024  # a register of tens of thousands of items fits
OPEN_ENDPOINTS = {"console.login", "console.static", "console.language"}


SESSION_ID = re.compile(r"([0-9]{1,18})\.([0-9]{1,18})")


class StaffUser(UserMixin):
    """The logged-in staff member, as the pages see them."""

    def __init__(self, staff: Staff) -> None:
        # The cookie keeps "<account id>.<session generation>": a copy made before the
        # generation moved on (logout, new password, account disabled) names no one.
        self.id = f"{staff.id}.{staff.session_generation}"
        self.staff_id = staff.id
        self.username = staff.username
        self.role = staff.role

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@login_manager.user_loader
def _load_user(user_id: str) -> StaffUser | None:
    found = SESSION_ID.fullmatch(user_id)
    if found is None:
        return None
    staff_id, generation = (int(part) for part in found.groups())
    with current_database().readers() as session:
        staff = session.get(Staff, staff_id)
        if staff is None or staff.disabled_at is not None:
            return None
        if staff.session_generation != generation:
            return None
        return StaffUser(staff)


def init_console(app: Flask, settings: Settings) -> None:
    """Mount the console on the app: its blueprint, logins, CSRF, cookies."""
    app.config.update(
        # Only the console's forms are checked; provider webhooks have their own signatures.
        WTF_CSRF_CHECK_DEFAULT=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.serves_https,
    )
    csrf.init_app(app)
    app.after_request(_protect)
    login_manager.init_app(app)
    login_manager.login_view = "console.login"
    from console import (  # noqa: F401  (their pages, on the blueprint)
        books_views,
        dispatch_views,
        glance_views,
        message_views,
        register_views,
        simulator_views,
        views,
    )

    app.register_blueprint(blueprint)


@blueprint.before_request
def _guard() -> Response | None:
    """A login for every page but the login page; a CSRF token on every form posted."""
    g.lang = cookie.get("console_lang", "id")
    if request.endpoint == "console.register_import":
        request.max_content_length = UPLOAD_BYTES  # a CSV register, before the form is read
    if _has_nul():
        return Response(render_template("console/error.html", message=words("bad_form")), 400)
    if request.endpoint not in OPEN_ENDPOINTS and not current_user.is_authenticated:
        return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
    if request.method == "POST":
        csrf.protect()
    return None


# Every console answer: never framed (clickjacking), only the console's own scripts, styles
# and images, forms posted only to us, and no console URL sent to another site. Audio may
# also come over https from elsewhere: a caller's spoken address is the provider's
# recording (Twilio, Africa's Talking), and audio runs no code.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src 'self' https:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def _protect(response: Response) -> Response:
    """Every answer under /console, its error pages and redirects too."""
    if request.path == "/console" or request.path.startswith("/console/"):
        response.headers.update(SECURITY_HEADERS)
    return response


def _has_nul() -> bool:
    """A NUL in the URL, the query or a form field: nobody types one, and PostgreSQL cannot
    store or even compare text that holds one."""
    values = [*(request.view_args or {}).values()]
    values += [value for _, value in request.args.items(multi=True)]
    if request.method == "POST" and request.mimetype != "application/json":
        values += [value for _, value in request.form.items(multi=True)]
    return any(isinstance(value, str) and "\x00" in value for value in values)


def require_admin() -> None:
    """Admin pages: 403 for operators."""
    if not current_user.is_admin:
        abort(403)


def words(key: str, **params: Any) -> str:
    """A console text in the staff member's language."""
    lang = g.get("lang", "id")
    return TEXTS.get(lang, TEXTS["id"])[key].format(**params)


def shown_phone(phone: str) -> str:
    """A number as this staff member may see it: whole for admins, masked for operators."""
    return friendly_phone(phone) if current_user.is_admin else mask_phone(phone)


def shown_text(text: str) -> str:
    """An SMS as this staff member may read it: for operators every number in it masked
    (a job sheet carries the customer's number)."""
    return text if current_user.is_admin else redact(text)


def state_word(kind: str, state: str) -> str:
    """A stored state in words (`sms.out.sent` "terkirim"); a state no catalog names yet is
    shown as stored rather than break the page."""
    key = f"{kind}.{state}"
    return words(key) if key in TEXTS["id"] else state


@blueprint.app_template_filter("problem")
def problem_words(problem: Any) -> str:
    """What is wrong with a register file or row (`catalog_csv.Problem`), in words; a column
    it names by the staff member's name for it."""
    values = dict(problem.values)
    if "column" in values:
        values["column"] = words(f"csv.column.{values['column']}")
    return words(f"csv.{problem.key}", **values)


@blueprint.app_context_processor
def _texts() -> dict[str, Any]:
    return {
        "t": words,
        "state_word": state_word,
        "lang": g.get("lang", "id"),
        "languages": LANGUAGES,
        "shown_phone": shown_phone,
        "shown_text": shown_text,
    }


@blueprint.app_template_filter("rupiah")
def _rupiah(amount: int) -> str:
    return format_rupiah(amount)


@blueprint.app_template_filter("decimal")
def _decimal(number: float) -> str:
    """A number as the staff member's language writes it: `0,3` in Indonesian, `0.3` in
    English."""
    return format_decimal(number, locale=g.get("lang", "id"))


@blueprint.app_template_filter("local_time")
def local_time(moment: dt.datetime, timezone: str | None = None) -> str:
    """A time as people there read it (a market's zone, else Karangasem's): `30/11 10.05`.
    Times read back from the database are UTC; a naive one is taken as UTC too."""
    zone = ZoneInfo(timezone) if timezone else LOCAL_TIME
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone).strftime("%d/%m %H.%M")


@blueprint.errorhandler(CSRFError)
def _bad_form(error: CSRFError) -> tuple[str, int]:
    return render_template("console/error.html", message=words("bad_form")), 400


@blueprint.errorhandler(413)
def _too_big(error: Exception) -> tuple[str, int]:
    """A CSV over UPLOAD_BYTES (or any console form over the app's limit)."""
    return render_template("console/error.html", message=words("register.too_big")), 413


@blueprint.errorhandler(403)
def _forbidden(error: Exception) -> tuple[str, int]:
    return render_template("console/error.html", message=words("forbidden")), 403
