"""The market office's register (admin only): markets, traders, items, couriers; CSV.

Lists with a search; hours and fees, traders' phones, prices and stock, couriers edited in
place; couriers added; traders and items exported and imported as CSV, with a preview that
names each wrong row, and nothing imported unless every row is right.
"""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session

from console import blueprint, problem_words, require_admin, words
from console.views import LogoutForm
from domain.delivery import queries as delivery_queries
from domain.hours import clock_time
from domain.office import catalog_csv
from domain.office import queries as office_queries
from domain.office.register import (
    RegisterError,
    add_market,
    local_phone,
    phone_also_used,
    register_courier,
)
from domain.orders import queries as order_queries
from domain.orders.rules import MIN_ITEM_PRICE, OrderRules
from domain.phones import InvalidPhone, friendly_phone
from storage.models import Courier, Item, Market, Vendor
from voice_prompts import format_rupiah, parse_rupiah
from web.current import current_clock, current_database, current_settings


class RegisterForm(FlaskForm):
    pass


@blueprint.before_request
def _admins_only() -> None:
    if request.endpoint and request.endpoint.startswith("console.register"):
        require_admin()


@blueprint.get("/register")
def register() -> ResponseReturnValue:
    words_sought = request.args.get("q", "").strip()[:40]
    with current_database().readers() as session:
        markets = session.scalars(select(Market).order_by(Market.position)).all()
        vendors = session.scalars(select(Vendor).join(Vendor.market).order_by(Vendor.code)).all()
        items = (
            order_queries.search_items(session, words_sought, limit=200)
            if words_sought
            else session.scalars(select(Item).order_by(Item.code).limit(200)).all()
        )
        couriers = office_queries.all_couriers(session)
        jobs = delivery_queries.jobs_by_courier(session)
        if words_sought:
            lowered = words_sought.lower()
            vendors = [v for v in vendors if lowered in f"{v.code} {v.name}".lower()]
            couriers = [c for c in couriers if lowered in f"{c.name} {c.phone}".lower()]
        return render_template(
            "console/register.html",
            q=words_sought,
            markets=markets,
            vendors=vendors,
            items=items,
            couriers=couriers,
            jobs=jobs,
            categories=catalog_csv.CATEGORIES,
            units=catalog_csv.UNITS,
            friendly_phone=friendly_phone,
            form=RegisterForm(),
            logout_form=LogoutForm(),
        )


def _rupiah(text: str) -> int:
    """Whole rupiah as written (`parse_rupiah`); ValueError for anything else."""
    amount = parse_rupiah(text)
    if amount is None:
        raise ValueError(f"not an amount: {text[:20]!r}")
    return amount


@blueprint.post("/register/markets/<int:market_id>")
def register_market(market_id: int) -> ResponseReturnValue:
    try:
        opens = clock_time(request.form.get("opens_at", ""))
        closes = clock_time(request.form.get("closes_at", ""))
        fee = _rupiah(request.form.get("delivery_fee", ""))
    except ValueError:
        return _back("register.bad_market")
    if not (opens <= closes and 0 <= fee <= 100_000):  # the same: open around the clock
        return _back("register.bad_market")
    with current_database().unit_of_work() as session:
        market = session.get(Market, market_id)
        if market is None:
            return _back("board.not_found")
        market.opens_at, market.closes_at, market.delivery_fee = opens, closes, fee
    return _back("register.saved")


@blueprint.post("/register/traders/<int:vendor_id>")
def register_trader(vendor_id: int) -> ResponseReturnValue:
    name = " ".join(request.form.get("name", "").split())[:80]
    raw_phone = request.form.get("phone", "").strip()
    try:
        phone = local_phone(raw_phone, current_settings().phone_region) if raw_phone else None
    except InvalidPhone:
        return _back("bad_phone", phone=raw_phone[:40])
    except RegisterError as exc:
        return _said(exc)
    if not name:
        return _back("register.bad_name")
    with current_database().unit_of_work() as session:
        vendor = session.get(Vendor, vendor_id)
        if vendor is None:
            return _back("board.not_found")
        vendor.name, vendor.phone = name, phone
        _note_others(session, phone, vendor_id=vendor.id)
    return _back("register.saved")


@blueprint.post("/register/items/<int:item_id>")
def register_item(item_id: int) -> ResponseReturnValue:
    price = parse_rupiah(request.form.get("price", ""))
    rules = OrderRules.from_settings(current_settings())
    if price is None or not rules.price_ok(price):
        low, high = format_rupiah(MIN_ITEM_PRICE), format_rupiah(rules.goods_cap)
        return _back("register.bad_price", low=low, high=high)
    with current_database().unit_of_work() as session:
        item = session.get(Item, item_id)
        if item is None:
            return _back("board.not_found")
        item.price, item.available = price, request.form.get("available") == "ya"
    return _back("register.saved")


@blueprint.post("/register/markets")
def register_new_market() -> ResponseReturnValue:
    try:
        opens = clock_time(request.form.get("opens_at", ""))
        closes = clock_time(request.form.get("closes_at", ""))
        fee = _rupiah(request.form.get("delivery_fee", ""))
    except ValueError:
        return _back("register.bad_market")
    try:
        with current_database().unit_of_work() as session:
            add_market(
                session,
                code=request.form.get("code", ""),
                name=request.form.get("name", ""),
                opens_at=opens,
                closes_at=closes,
                delivery_fee=fee,
            )
    except RegisterError as exc:
        return _said(exc)
    return _back("register.saved")


@blueprint.post("/register/<kind>/add")
def register_add_row(kind: str) -> ResponseReturnValue:
    """One trader or one item, checked exactly as a row of an imported file is."""
    if kind not in catalog_csv.KINDS:
        return _back("board.not_found")
    columns = catalog_csv.KINDS[kind].columns
    content = catalog_csv.one_row(columns, {name: request.form.get(name, "") for name in columns})
    with current_database().unit_of_work() as session:
        checked = _check(session, kind, content)
        if not checked.ok:
            wrong = [checked.problem] if checked.problem else checked.rows[0].errors
            problems = "; ".join(problem_words(problem) for problem in wrong)
            flash(words("register.not_added", problems=problems))
            return redirect(url_for("console.register"))
        catalog_csv.KINDS[kind].apply(session, checked)
    return _back("register.saved")


@blueprint.post("/register/couriers")
def register_new_courier() -> ResponseReturnValue:
    typed = request.form.get("phone", "")
    try:
        with current_database().unit_of_work() as session:
            courier = register_courier(
                session,
                phone=typed,
                name=request.form.get("name", ""),
                market=request.form.get("market", ""),
                region=current_settings().phone_region,
                now=current_clock()(),
            )
            _note_others(session, courier.phone, courier_id=courier.id)
    except InvalidPhone:
        return _back("bad_phone", phone=typed.strip()[:40])
    except RegisterError as exc:
        return _said(exc)
    return _back("register.saved")


def _said(error: RegisterError) -> ResponseReturnValue:
    """Why it could not be registered, in the staff member's language, on the register."""
    return _back(f"register.error.{error.key}", **error.values)


def _note_others(session: Session, phone: str | None, **just_given: int) -> None:
    """Say (not refuse) that the number is also a courier's or a trader's: one person may be
    both, but a typing slip gives one person's SMS to another."""
    for other in phone_also_used(session, phone, **just_given) if phone else []:
        flash(
            words(
                f"register.also_{other.kind}",
                phone=friendly_phone(phone),
                name=other.name,
                code=other.code,
            )
        )


@blueprint.post("/register/couriers/<int:courier_id>")
def register_courier_edit(courier_id: int) -> ResponseReturnValue:
    with current_database().unit_of_work() as session:
        courier = session.get(Courier, courier_id)
        if courier is None:
            return _back("board.not_found")
        courier.available = request.form.get("available") == "ya"
        courier.updated_at = current_clock()()
    return _back("register.saved")


@blueprint.get("/register/<kind>.csv")
def register_export(kind: str) -> ResponseReturnValue:
    if kind not in catalog_csv.KINDS:
        return _back("board.not_found")
    with current_database().readers() as session:
        text = catalog_csv.KINDS[kind].export(session)
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=telepasar-{kind}.csv"},
    )


@blueprint.post("/register/import")
def register_import() -> ResponseReturnValue:
    """Preview an upload (`file`), or apply what was previewed (`content`, `confirm`)."""
    kind = request.form.get("kind", "")
    if kind not in catalog_csv.KINDS:
        return _back("board.not_found")
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        content = upload.read().decode("utf-8-sig", errors="replace")  # size: UPLOAD_BYTES
    else:
        content = request.form.get("content", "")
    confirm = request.form.get("confirm") == "1"
    with current_database().unit_of_work() as session:
        checked = _check(session, kind, content)
        if confirm and checked.ok:
            count = catalog_csv.KINDS[kind].apply(session, checked)
            counts = {action: checked.count(action) for action in ("add", "change", "same")}
            flash(words("register.imported", count=count, **counts))
            return redirect(url_for("console.register"))
    status = 200 if checked.ok else 400
    page = render_template(
        "console/import_preview.html",
        kind=kind,
        checked=checked,
        content=content,
        form=RegisterForm(),
        logout_form=LogoutForm(),
    )
    return page, status


def _check(session: Session, kind: str, content: str) -> catalog_csv.Checked:
    if kind == "traders":
        return catalog_csv.read_traders(session, content, current_settings().phone_region)
    return catalog_csv.read_items(
        session, content, rules=OrderRules.from_settings(current_settings())
    )


def _back(key: str, **params: str) -> ResponseReturnValue:
    flash(words(key, **params))
    return redirect(url_for("console.register", q=request.args.get("q", "")) + "")
