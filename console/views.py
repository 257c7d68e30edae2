"""The console's pages: login, logout, the caller lookup, the staff list."""

from __future__ import annotations

import datetime as dt
import logging
import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import object_session
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from console import LANGUAGES, StaffUser, blueprint, require_admin, words
from domain.office import queries as office_queries
from domain.office.staff import (
    MIN_PASSWORD_LENGTH,
    StaffError,
    begin_login,
    change_password,
    disable_staff,
    enable_staff,
    end_sessions,
    forget_try,
    login_succeeded,
    seconds_to_wait,
    staff_by_username,
    staff_or_error,
    throttle_key,
)
from domain.orders import queries as order_queries
from domain.orders.customers import update_details
from domain.phones import InvalidPhone, friendly_phone, normalize_phone
from menus.customer_details import tidy, valid_address, valid_name
from storage.models import Customer, Staff
from telemetry.metrics import LOGIN_FAILURES
from web.current import current_database, current_settings, current_time

log = logging.getLogger(__name__)


@cache
def _nobody() -> str:
    """A hash checked when the username is unknown, so that a wrong name costs the same time
    as a wrong password and does not tell which it was (made on the first login, not at
    import: hashing is slow on purpose)."""
    return generate_password_hash("not anybody's password")


class LoginForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=40)])
    password = PasswordField(validators=[DataRequired(), Length(max=200)])


class LogoutForm(FlaskForm):
    pass


class CallerForm(FlaskForm):
    name = StringField(validators=[Length(max=80)])
    address = StringField(validators=[Length(max=200)])
    language = SelectField(choices=[SelectChoice(code) for code in ("", "id", "ban", "en")])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The languages by name, in the staff member's language ("Bali", not `ban`)."""
        super().__init__(*args, **kwargs)
        self.language.choices = [
            SelectChoice(code, words(f"lang.{code or 'none'}")) for code in ("", "id", "ban", "en")
        ]


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if request.method == "GET" or not form.validate():
        return render_template("console/login.html", form=form)
    typed, address = form.username.data or "", request.remote_addr or "-"
    now, database = current_time(), current_database()
    # Written down and counted under the account's lock: see domain/office/staff.py.
    with database.unit_of_work() as session:
        staff = staff_by_username(session, typed)
        key = throttle_key(staff, typed)
        hashed = staff.password_hash if staff is not None else _nobody()
        usable = staff is not None and staff.disabled_at is None
        known = _known_device(key, now)
        attempt = begin_login(session, key=key, address=address, now=now)
        wait = seconds_to_wait(
            session, key=key, address=address, attempt_id=attempt, now=now, account_wide=not known
        )
        if wait:
            forget_try(session, attempt)
    shown = key if not key.startswith("?") else "an unknown username"
    if wait:
        log.warning("console login for %s from %s refused: wait %d s", shown, address, wait)
        LOGIN_FAILURES.labels("throttled").inc()
        message = words("login_wait", seconds=wait)
        return render_template("console/login.html", form=form, error=message), 429
    # Checked outside any write: hashing is slow on purpose.
    right = check_password_hash(hashed, form.password.data or "")
    if not right or not usable:
        why = "failed" if not right or staff is None else "refused (account disabled)"
        log.warning("console login %s for %s from %s", why, shown, address)
        LOGIN_FAILURES.labels("wrong" if why == "failed" else "disabled").inc()
        return render_template("console/login.html", form=form, error=words("login_failed"))
    with database.unit_of_work() as session:
        staff = session.get(Staff, staff.id)
        if staff is None or staff.password_hash != hashed or staff.disabled_at is not None:
            # Changed or disabled while the password was being checked: log in again.
            return render_template("console/login.html", form=form, error=words("login_failed"))
        login_succeeded(session, key=key, address=address)
        staff.last_login_at = now
        user = StaffUser(staff)
    login_user(user)
    log.info("console login: %s (%s)", user.username, user.role)
    response = redirect(_safe_next(request.args.get("next")))
    _remember_device(response, user.username, now)
    return response


# A browser that logged into an account is remembered by a signed cookie: guesses spread
# over many addresses slow that account down everywhere but there, so its owner is never
# locked out by them (the account and address count still applies).
DEVICE_COOKIE = "console_device"
DEVICE_REMEMBERED = dt.timedelta(days=90)


def _devices() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="console-device")


def _known_device(key: str, now: dt.datetime) -> bool:
    """Whether this browser logged into the account `key` within DEVICE_REMEMBERED."""
    try:
        name, until = _devices().loads(request.cookies.get(DEVICE_COOKIE, ""))
        return name == key and dt.datetime.fromisoformat(until) > now
    except (BadSignature, TypeError, ValueError):
        return False


def _remember_device(response: Response, username: str, now: dt.datetime) -> None:
    until = (now + DEVICE_REMEMBERED).isoformat()
    response.set_cookie(
        DEVICE_COOKIE,
        _devices().dumps([username, until]),
        max_age=int(DEVICE_REMEMBERED.total_seconds()),
        path="/console/",
        httponly=True,
        samesite="Lax",
        secure=current_settings().serves_https,
    )


@blueprint.post("/logout")
def logout() -> ResponseReturnValue:
    """Log out here and everywhere: every copy of this account's cookie stops working."""
    with current_database().unit_of_work() as session:
        staff = session.get(Staff, current_user.staff_id)
        if staff is not None:
            end_sessions(session, staff)
    logout_user()
    flash(words("logged_out"))
    return redirect(url_for("console.login"))


@blueprint.get("/language/<code>")
def language(code: str) -> ResponseReturnValue:
    if code in LANGUAGES:
        cookie["console_lang"] = code
    return redirect(_safe_next(request.args.get("next")))


@blueprint.get("/")
def home() -> ResponseReturnValue:
    return render_template("console/home.html", logout_form=LogoutForm())


@blueprint.get("/callers")
def find_caller() -> ResponseReturnValue:
    """A caller by any phone format: details, spoken address, last orders."""
    raw = request.args.get("phone", "").strip()
    if not raw:
        return redirect(url_for("console.home"))
    try:
        phone = normalize_phone(raw, current_settings().phone_region)
    except InvalidPhone:
        message = words("bad_phone", phone=raw[:40])
        return render_template("console/home.html", error=message, logout_form=LogoutForm()), 400
    with current_database().readers() as session:
        customer = order_queries.customer_by_phone(session, phone)
        if customer is None:
            return render_template(
                "console/caller.html",
                phone=phone,
                friendly=friendly_phone(phone),
                customer=None,
                logout_form=LogoutForm(),
            )
        return _caller_page(customer, CallerForm(obj=customer), friendly_phone(phone))


@blueprint.post("/callers/<int:customer_id>")
def edit_caller(customer_id: int) -> ResponseReturnValue:
    """Correct a caller's name, address or language."""
    form = CallerForm()
    name, address = tidy(form.name.data or ""), tidy(form.address.data or "")
    problems = []
    if name and not valid_name(name):
        problems.append(words("bad_name"))
    if address and not valid_address(address):
        problems.append(words("bad_address"))
    with current_database().unit_of_work() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            return render_template("console/error.html", message=words("not_found")), 404
        if problems or not form.validate():
            page = _caller_page(customer, form, friendly_phone(customer.phone), problems)
            return page, 400
        update_details(customer, name=name, address=address, language=form.language.data)
        phone = customer.phone
    flash(words("saved"))
    return redirect(url_for("console.find_caller", phone=phone))


class StaffPasswordForm(FlaskForm):
    password = PasswordField(validators=[DataRequired(), Length(max=200)])


class StaffStateForm(FlaskForm):
    action = SelectField(choices=["disable", "enable"])


@blueprint.get("/staff")
def staff() -> ResponseReturnValue:
    require_admin()
    return _staff_page()


@blueprint.post("/staff/<username>/password")
def staff_password(username: str) -> ResponseReturnValue:
    """An admin gives an account a new password; its open sessions end."""
    require_admin()
    form = StaffPasswordForm()
    password = form.password.data or ""
    if not form.validate() or len(password) < MIN_PASSWORD_LENGTH:
        return _staff_page(words("staff.short_password", length=MIN_PASSWORD_LENGTH)), 400
    hashed = generate_password_hash(password)
    try:
        with current_database().unit_of_work() as session:
            account = change_password(session, username, password_hash=hashed)
            name, own = account.username, account.id == current_user.staff_id
            renewed = StaffUser(account) if own else None
    except StaffError:
        return render_template("console/error.html", message=words("not_found")), 404
    if renewed is not None:
        login_user(renewed)  # this browser keeps its session; every other copy ends
    log.info("console: %s set a new password for %s", current_user.username, name)
    flash(words("staff.done_password", username=name))
    return redirect(url_for("console.staff"))


@blueprint.post("/staff/<username>/state")
def staff_state(username: str) -> ResponseReturnValue:
    """An admin disables an account (its sessions end) or lets it log in again."""
    require_admin()
    form = StaffStateForm()
    if not form.validate():
        return _staff_page(words("bad_form")), 400
    now = current_time()
    try:
        with current_database().unit_of_work() as session:
            account = staff_or_error(session, username)
            if account.id == current_user.staff_id:
                return _staff_page(words("staff.not_yourself")), 400
            if form.action.data == "disable":
                disable_staff(session, username, now=now)
            else:
                enable_staff(session, username)
            name = account.username
    except StaffError:
        return render_template("console/error.html", message=words("not_found")), 404
    done = "staff.done_disabled" if form.action.data == "disable" else "staff.done_enabled"
    log.info("console: %s: %s %sd", current_user.username, name, form.action.data)
    flash(words(done, username=name))
    return redirect(url_for("console.staff"))


def _staff_page(error: str | None = None) -> str:
    with current_database().readers() as session:
        accounts = office_queries.staff_list(session)
        return render_template(
            "console/staff.html",
            accounts=accounts,
            error=error,
            form=StaffPasswordForm(formdata=None),
            min_password=MIN_PASSWORD_LENGTH,
            logout_form=LogoutForm(),
        )


def _caller_page(
    customer: Customer, form: CallerForm, friendly: str, problems: list[str] | None = None
) -> str:
    session = object_session(customer)
    assert session is not None, "the customer is read in an open session"
    orders = order_queries.recent_orders(session, customer.id)
    return render_template(
        "console/caller.html",
        customer=customer,
        phone=customer.phone,
        friendly=friendly,
        form=form,
        orders=orders,
        problems=problems or [],
        logout_form=LogoutForm(),
    )


# A path of ours and its query in printable ASCII: no scheme, no host, no backslash, no
# newline (a header cannot carry one), nothing a browser would read as another site.
SAFE_NEXT = re.compile(r"/console/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,500}")


def _safe_next(target: str | None) -> str:
    """Where to go after logging in: a console page of ours, never another site; else home."""
    if target and SAFE_NEXT.fullmatch(target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "//" not in parts.path:
            return target
    return url_for("console.home")
