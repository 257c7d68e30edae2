"""The console's order entry and dispatch board.

Orders entered here go through the same `place_order` as every channel (same rules, same
confirmation SMS, offered to couriers the same way) and record who entered them. The board
refreshes its table every few seconds (console.js); its buttons are forms with CSRF tokens.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Sequence

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import Length

from console import blueprint, local_time, require_admin, shown_phone, state_word, words
from console.views import LogoutForm
from domain.delivery import dispatch
from domain.delivery import queries as delivery_queries
from domain.hours import next_opening
from domain.orders import (
    AgreedPrices,
    BadQuantity,
    EmptyOrder,
    ItemUnavailable,
    MixedMarkets,
    OrderError,
    OrderLineRequest,
    OrderRules,
    OrderTooLarge,
    PriceChanged,
    place_order,
)
from domain.orders import queries as order_queries
from domain.orders.service import EntryUsed, PlacedOrder, claim_entry, record_entry
from domain.phones import InvalidPhone, friendly_phone, normalize_phone
from menus.customer_details import tidy
from storage.models import Courier, DeliveryFailure, Item, Order
from voice_prompts import format_rupiah
from web.current import current_database, current_settings, current_time
from web.row_ids import row_id

ENTRY_KEY = re.compile(r"[A-Za-z0-9_-]{22,64}")


def new_entry_key() -> str:
    """A one-time key for an order entry form (unguessable, URL-safe)."""
    return secrets.token_urlsafe(24)


BOARD_DAYS = 2  # the board shows orders of the last two days
SOON = dt.timedelta(seconds=60)  # an offer that runs out within this stands out


class OrderForm(FlaskForm):
    phone = StringField(validators=[Length(max=40)])
    name = StringField(validators=[Length(max=80)])
    address = StringField(validators=[Length(max=200)])
    # "item_id:quantity:unit_price,..." and the delivery fee as the page showed them, kept by
    # console.js: what the staff member read out is what the caller is charged.
    lines = HiddenField()
    fee = HiddenField()
    # The caller has an order on its way: the staff member asked, and they want another.
    again = BooleanField()
    # This page's one-time key: the order it places is placed once, however often it is sent.
    entry = HiddenField()


class ActionForm(FlaskForm):
    courier_id = HiddenField()


@blueprint.get("/orders/new")
def new_order() -> ResponseReturnValue:
    """Order entry for a caller: their details, items found as you type, the cart, totals."""
    form = OrderForm(formdata=None)
    form.entry.data = new_entry_key()
    phone = request.args.get("phone", "")
    if phone:
        form.phone.data = phone
        try:
            e164 = normalize_phone(phone, current_settings().phone_region)
        except InvalidPhone:
            e164 = None
        if e164:
            with current_database().readers() as session:
                customer = order_queries.customer_by_phone(session, e164)
                if customer is not None:
                    form.phone.data = friendly_phone(e164)
                    form.name.data = customer.name or ""
                    form.address.data = customer.address or ""
            return _entry_page(form, open_order=_open_order(e164))
    return _entry_page(form)


@blueprint.get("/items")
def items() -> ResponseReturnValue:
    """Items by code or name across markets, for order entry (JSON)."""
    with current_database().readers() as session:
        found = order_queries.search_items(session, request.args.get("q", "")[:40])
        return jsonify([_item_json(item) for item in found])


def _item_json(item: Item) -> dict[str, object]:
    """An item as order entry shows it (console.js): name, price, its market's fee."""
    return {
        "id": item.id,
        "code": item.code,
        "name": item.name,
        "unit": item.unit,
        "price": item.price,
        "price_text": format_rupiah(item.price),
        "available": item.available,
        "market_id": item.vendor.market_id,
        "market": item.vendor.market.name,
        "fee": item.vendor.market.delivery_fee,
        "vendor": item.vendor.name,
    }


class NotPlaced(Exception):
    """The order entry page must come back instead: nothing of this post is kept."""

    def __init__(self, page: str, status: int) -> None:
        super().__init__(status)
        self.page, self.status = page, status


@blueprint.post("/orders")
def create_order() -> ResponseReturnValue:
    """Place the order through the orders service, as every channel does, once per form.

    The form's one-time key, the open-order check and the order are one unit of work: a
    double click or a resent form finds the key taken and shows the order it placed.
    """
    form = OrderForm()
    settings = current_settings()
    key = form.entry.data or ""
    if not ENTRY_KEY.fullmatch(key):
        form.entry.data = new_entry_key()
        return _entry_page(form, words("bad_form")), 400
    try:
        phone = normalize_phone(form.phone.data or "", settings.phone_region)
    except InvalidPhone:
        return _entry_page(form, words("bad_phone", phone=(form.phone.data or "")[:40])), 400
    lines, shown = _lines(form.lines.data or "")
    if not lines:
        return _entry_page(form, words("order.empty")), 400
    fee = form.fee.data or ""
    agreed = (
        AgreedPrices(shown, int(fee))
        if len(shown) == len(lines) and AMOUNT.fullmatch(fee)
        else None
    )
    now = current_time()
    try:
        with current_database().unit_of_work() as session:
            claimed = claim_entry(session, key, phone=phone, now=now)
            if claimed is not True:
                return _placed_already(claimed)
            customer = order_queries.customer_by_phone(session, phone)
            open_order = customer and order_queries.open_order_of(session, customer.id)
            if open_order and not form.again.data:
                shown_order = _shown_open_order(open_order)
                refusal = words("order.not_placed_open", number=open_order.number)
                raise NotPlaced(_entry_page(form, refusal, lines, open_order=shown_order), 409)
            placed = place_order(
                session,
                phone=phone,
                lines=lines,
                name=tidy(form.name.data or ""),
                address=tidy(form.address.data or ""),
                channel="console",
                rules=OrderRules.from_settings(settings),
                language=settings.default_language,
                now=now,
                entered_by=current_user.staff_id,
                agreed=agreed,
            )
            record_entry(session, key, placed.order_id)
    except NotPlaced as refused:
        return refused.page, refused.status
    except EntryUsed:
        form.entry.data = new_entry_key()
        return _entry_page(form, words("order.entry_used"), lines), 409
    except OrderError as exc:
        return _entry_page(form, _refusal(exc), lines), 400
    flash(words("order.placed", number=placed.number, total=format_rupiah(placed.total)))
    flash(_next_step(placed))  # what the caller was told happens next
    return redirect(url_for("console.board"))


def _next_step(placed: PlacedOrder) -> str:
    """What happens next with an order just placed, as its confirmation told the caller."""
    if placed.deliver_after is not None:
        return words("order.next_later", when=local_time(placed.deliver_after, placed.timezone))
    return words("order.next_staff" if placed.nobody_free else "order.next_courier")


def _placed_already(order: Order | bool) -> ResponseReturnValue:
    """The same form posted again: the order it placed, or word that it is being placed."""
    if order is False:
        flash(words("order.being_placed"))
    else:
        flash(words("order.placed_already", number=order.number, total=format_rupiah(order.total)))
    return redirect(url_for("console.board"))


@blueprint.get("/board")
def board() -> ResponseReturnValue:
    """Orders by state with their age and courier; unassigned and expiring offers stand out."""
    now = current_time()
    window = dt.timedelta(seconds=current_settings().courier_offer_seconds)
    with current_database().readers() as session:
        orders = delivery_queries.board_orders(session, now - dt.timedelta(days=BOARD_DAYS))
        ids = [order.id for order in orders]
        offers = delivery_queries.open_offer_counts(session, ids)
        failures = delivery_queries.last_failures(session, ids)
        couriers = delivery_queries.couriers_without_a_job(session)
        rows = [
            _row(order, offers.get(order.id, 0), now, window, failures.get(order.id), couriers)
            for order in orders
        ]
        template = "console/board_table.html" if request.args.get("part") else "console/board.html"
        return render_template(
            template,
            rows=rows,
            couriers=couriers,
            call_center=current_settings().call_center_number,
            action_form=ActionForm(),
            logout_form=LogoutForm(),
        )


@blueprint.post("/orders/<int:order_id>/assign")
def assign(order_id: int) -> ResponseReturnValue:
    form = ActionForm()
    courier_id = form.courier_id.data or request.form.get("courier_id", "")
    with current_database().unit_of_work() as session:
        order = session.get(Order, order_id)
        courier_key = row_id(courier_id)
        courier = session.get(Courier, courier_key) if courier_key is not None else None
        if order is not None and not courier_id:
            flash(words("board.no_courier_chosen", number=order.number))
            return redirect(url_for("console.board"))
        if order is None or courier is None:
            flash(words("board.not_found"))
            return redirect(url_for("console.board"))
        again = order.state == "failed" and order.goods_with_id == courier.id
        why_not = dispatch.assign_by_hand(session, order, courier, now=current_time())
        number, name = order.number, courier.name
    done = "board.sent_again" if again else "board.assigned"
    flash(words(f"board.{why_not}" if why_not else done, number=number, courier=name))
    return redirect(url_for("console.board"))


@blueprint.post("/orders/<int:order_id>/reoffer")
def reoffer(order_id: int) -> ResponseReturnValue:
    def offer_again(session: Session, order: Order) -> str:
        offered = dispatch.reoffer(session, order, now=current_time())
        key = "board.reoffered" if offered else "board.nobody_free"
        return words(key, number=order.number, count=offered)

    return _on_order(order_id, offer_again)


@blueprint.post("/orders/<int:order_id>/cancel")
def cancel(order_id: int) -> ResponseReturnValue:
    def call_off(session: Session, order: Order) -> str:
        cancelled = dispatch.cancel_by_staff(session, order, now=current_time())
        return words("board.cancelled" if cancelled else "board.order_moved", number=order.number)

    return _on_order(order_id, call_off)


@blueprint.post("/orders/<int:order_id>/return")
def return_goods(order_id: int) -> ResponseReturnValue:
    """A failed delivery's goods go back to the traders, who give back what they were paid."""

    def give_back(session: Session, order: Order) -> str:
        done = dispatch.return_goods(
            session, order, now=current_time(), staff_id=current_user.staff_id
        )
        return words("board.returned" if done else "board.order_moved", number=order.number)

    return _on_order(order_id, give_back)


@blueprint.post("/orders/<int:order_id>/back")
def back_to_failed(order_id: int) -> ResponseReturnValue:
    """A failed delivery offered or given again comes back to the board as failed."""

    def take_back(session: Session, order: Order) -> str:
        done = dispatch.back_to_failed(session, order, now=current_time())
        return words("board.back" if done else "board.order_moved", number=order.number)

    return _on_order(order_id, take_back)


@blueprint.post("/orders/<int:order_id>/write-off")
def write_off(order_id: int) -> ResponseReturnValue:
    """The office carries a failed delivery (admins: it is the office's money)."""
    require_admin()

    def carry(session: Session, order: Order) -> str:
        done = dispatch.write_off(
            session, order, now=current_time(), staff_id=current_user.staff_id
        )
        key = "board.written_off" if done else "board.order_moved"
        return words(key, number=order.number, goods=format_rupiah(order.goods_total))

    return _on_order(order_id, carry)


def _on_order(order_id: int, work: Callable[[Session, Order], str]) -> ResponseReturnValue:
    """Do one thing to an order in one transaction; say what came of it on the board."""
    with current_database().unit_of_work() as session:
        order = session.get(Order, order_id)
        flash(work(session, order) if order is not None else words("board.not_found"))
    return redirect(url_for("console.board"))


def _row(
    order: Order,
    open_offers: int,
    now: dt.datetime,
    window: dt.timedelta,
    failure: DeliveryFailure | None = None,
    couriers: Sequence[Courier] = (),
) -> dict:
    """One order as the board shows it: with its market's next opening while it is closed,
    and the couriers it may be given to, the free couriers of its own market first."""
    expires = order.offered_at + window if order.state == "offered" and order.offered_at else None
    market = order.market

    def free_here(courier: Courier) -> bool:
        return courier.market_id == order.market_id and courier.available

    here = [c for c in couriers if free_here(c)]
    return {
        "opens": next_opening(market.opens_at, market.closes_at, market.timezone, now),
        "couriers_here": here,
        "couriers_else": [c for c in couriers if not free_here(c)],
        "order": order,
        "age_minutes": int((now - order.placed_at).total_seconds() // 60),
        "open_offers": open_offers,
        "expires_in": int((expires - now).total_seconds()) if expires else None,
        "urgent": order.state in ("unassigned", "failed")
        or (expires is not None and expires - now <= SOON),
        "failure": failure if order.state == "failed" else None,
        "phone": shown_phone(order.customer.phone),
    }


AMOUNT = re.compile(r"[0-9]{1,9}")  # a quantity or whole rupiah, as console.js posts them


def _lines(raw: str) -> tuple[list[OrderLineRequest], dict[int, int]]:
    """`12:2:14000,31:1:3000` from console.js: the lines, and each item's price as shown.

    Anything malformed is left out; a line without a price (`12:2`) is ordered at today's.
    """
    lines, shown = [], {}
    for part in raw.split(",")[:50]:
        pieces = [piece.strip() for piece in part.split(":")]
        if len(pieces) not in (2, 3) or not all(AMOUNT.fullmatch(piece) for piece in pieces[1:]):
            continue
        item_id = row_id(pieces[0])
        if item_id is None:
            continue
        lines.append(OrderLineRequest(item_id, int(pieces[1])))
        if len(pieces) == 3:
            shown[int(pieces[0])] = int(pieces[2])
    return lines, shown


def _refusal(error: OrderError) -> str:
    if isinstance(error, BadQuantity):
        return words("order.bad_quantity", maximum=error.maximum)
    if isinstance(error, ItemUnavailable):
        return words("order.unavailable", items=", ".join(error.names))
    if isinstance(error, MixedMarkets):
        return words("order.mixed_markets")
    if isinstance(error, PriceChanged):
        return words("order.price_changed")
    if isinstance(error, OrderTooLarge):
        return words(
            "order.too_large", total=format_rupiah(error.goods_total), cap=format_rupiah(error.cap)
        )
    if isinstance(error, EmptyOrder):
        return words("order.details_missing")
    return words("order.empty")


def _open_order(phone: str) -> dict[str, str] | None:
    """The caller's order on its way, if there is one, as the entry page warns of it."""
    with current_database().readers() as session:
        customer = order_queries.customer_by_phone(session, phone)
        order = customer and order_queries.open_order_of(session, customer.id)
        return _shown_open_order(order) if order else None


def _shown_open_order(order: Order) -> dict[str, str]:
    """An order on its way as the staff member reads it: number, total, state in words."""
    return {
        "number": order.number,
        "total": format_rupiah(order.total),
        "state": state_word("state", order.state),
    }


def _entry_page(
    form: OrderForm,
    error: str | None = None,
    lines: list[OrderLineRequest] | None = None,
    *,
    open_order: dict[str, str] | None = None,
) -> str:
    """The order entry page; after a refusal, with the cart as it was, at today's prices.

    With the caller's order still on its way, it says so and asks for the box "order
    again" to be ticked: a forgetful caller does not order twice without a word.
    """
    cart = []
    if lines:
        with current_database().readers() as session:
            found = delivery_queries.items_by_id(session, [line.item_id for line in lines])
            cart = [
                {"item": _item_json(found[line.item_id]), "quantity": line.quantity}
                for line in lines
                if line.item_id in found
            ]
    return render_template(
        "console/order_new.html",
        form=form,
        error=error,
        cart=cart,
        open_order=open_order,
        cap=current_settings().order_goods_cap,
        logout_form=LogoutForm(),
    )
