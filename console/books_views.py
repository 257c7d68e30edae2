"""The office's daily books: each courier's and each trader's day, the hand-overs of cash,
and the same as CSV. Operators read them; admins record hand-overs (and correct them).

A day is the WITA calendar day (`?day=2026-11-30`, today by default).
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from console import blueprint, require_admin, shown_phone, words
from console.views import LogoutForm
from domain.hours import office_day
from domain.office import books
from domain.office import queries as office_queries
from storage.models import Courier
from voice_prompts import format_rupiah, parse_rupiah
from web.current import current_database, current_time
from web.row_ids import row_id

MOST_RUPIAH = 100_000_000  # a hand-over beyond this is a typing slip
FIRST_DAY = dt.date(2020, 1, 1)


class HandoverForm(FlaskForm):
    courier_id = StringField(validators=[Length(max=20)])
    direction = StringField(validators=[Length(max=20)])  # to_office or to_courier
    amount = StringField(validators=[Length(max=20)])
    note = StringField()  # kept to its first 120 characters


class CorrectForm(FlaskForm):
    note = HiddenField()


def _day() -> dt.date:
    """The day asked for (`?day=YYYY-MM-DD`), or today; a day that is no date says so."""
    today = office_day(current_time())
    asked = request.args.get("day", "").strip()[:20]
    if not asked:
        return today
    try:
        day = dt.date.fromisoformat(asked)
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= today + dt.timedelta(days=1):
        flash(words("books.bad_day", day=asked))
        return today
    return day


@blueprint.get("/books")
def books_page() -> ResponseReturnValue:
    day = _day()
    with current_database().readers() as session:
        couriers = books.books_of_couriers(session, day)
        traders = books.books_of_traders(session, day)
        handovers = books.handovers_on(session, day)
        everyone = office_queries.all_couriers(session)
        return render_template(
            "console/books.html",
            day=day,
            previous=day - dt.timedelta(days=1),
            next=day + dt.timedelta(days=1) if day < office_day(current_time()) else None,
            couriers=couriers,
            traders=traders,
            handovers=handovers,
            everyone=everyone,
            form=HandoverForm(formdata=None),
            correct_form=CorrectForm(),
            logout_form=LogoutForm(),
        )


@blueprint.post("/books/handover")
def record_handover() -> ResponseReturnValue:
    require_admin()
    form = HandoverForm()
    amount = parse_rupiah(form.amount.data or "")
    if form.direction.data not in ("to_office", "to_courier"):
        flash(words("bad_form"))
        return redirect(url_for("console.books_page"))
    if not form.validate_on_submit() or amount is None or not 0 < amount <= MOST_RUPIAH:
        flash(words("books.bad_amount"))
        return redirect(url_for("console.books_page"))
    courier_key = row_id(form.courier_id.data or "")
    with current_database().unit_of_work() as session:
        courier = session.get(Courier, courier_key) if courier_key is not None else None
        if courier is None:
            flash(words("books.bad_courier"))
            return redirect(url_for("console.books_page"))
        books.record_handover(
            session,
            courier,
            amount,
            to_office=form.direction.data == "to_office",
            staff_id=current_user.staff_id,
            note=" ".join((form.note.data or "").split())[:120],
            now=current_time(),
        )
        name = courier.name
    flash(words("books.recorded", amount=format_rupiah(amount), courier=name))
    return redirect(url_for("console.books_page"))


@blueprint.post("/books/handover/<int:movement_id>/correct")
def correct_handover(movement_id: int) -> ResponseReturnValue:
    require_admin()
    form = CorrectForm()
    if not form.validate_on_submit():
        flash(words("bad_form"))
        return redirect(url_for("console.books_page"))
    with current_database().unit_of_work() as session:
        done = books.correct_handover(
            session, movement_id, staff_id=current_user.staff_id, note="", now=current_time()
        )
    flash(words("books.corrected" if done else "books.cannot_correct"))
    return redirect(url_for("console.books_page"))


COURIER_COLUMNS = (
    "day", "courier", "phone", "deliveries", "failed", "paid_traders", "paid_couriers",
    "collected", "fees",
    "commission", "received_back", "written_off", "handed_over", "held_orders", "held_goods",
    "balance",
)  # fmt: skip
TRADER_COLUMNS = (
    "day", "trader", "stall", "lines_sold", "received", "lines_returned", "returned",
)  # fmt: skip


@blueprint.get("/books/<part>.csv")
def books_csv(part: str) -> ResponseReturnValue:
    """The day's books as CSV (whole rupiah, no dots), for a spreadsheet."""
    if part not in ("couriers", "traders"):
        return render_template("console/error.html", message=words("not_found")), 404
    day = _day()
    out = io.StringIO()
    writer = csv.writer(out)
    with current_database().readers() as session:
        if part == "couriers":
            writer.writerow(COURIER_COLUMNS)
            for row in books.books_of_couriers(session, day):
                writer.writerow(
                    [day.isoformat(), _cell(row.name), shown_phone(row.phone), row.deliveries,
                     row.failed, row.paid_traders, row.paid_couriers, row.collected, row.fees,
                     row.commission, row.received_back, row.written_off, row.handed_over,
                     row.held_orders, row.held_goods, row.balance]
                )  # fmt: skip
        else:
            writer.writerow(TRADER_COLUMNS)
            for row in books.books_of_traders(session, day):
                writer.writerow(
                    [day.isoformat(), _cell(row.name), row.codes, row.lines_sold, row.received,
                     row.lines_returned, row.returned]
                )  # fmt: skip
    name = f"telepasar-{part}-{day.isoformat()}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


def _cell(text: str) -> str:
    """A name as a spreadsheet cell: never read as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
