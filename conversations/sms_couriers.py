"""SMS commands of couriers (SIAP, YA 4821, AMBIL, SELESAI, GAGAL, REKAP, ...) and traders
(HABIS, ADA, HARGA, REKAP).

One number may be a customer, a courier and a trader at once. A courier's or a trader's
command is read as such; anything else is a customer's message (conversations.sms_commands).
A bare YA or TIDAK that could be either gets a question back, never a guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session

from conversations.sms_context import SmsContext
from domain.delivery import dispatch
from domain.delivery import queries as delivery_queries
from domain.hours import office_day
from domain.office import books as office_books
from domain.orders import queries as order_queries
from domain.orders.rules import MIN_ITEM_PRICE
from menus.keywords import Parsed
from storage.models import Courier, Item
from voice_prompts import Money, Text

OFFER_LIST_LIMIT = 5


def answer(ctx: SmsContext, parsed: Parsed, *, accepting: bool, own_pending: bool) -> str | None:
    """A courier's YA / TIDAK; None when it is the sender's answer to their own order instead.

    An empty answer: handled, and what the courier hears is in the outbox already (the job
    sheet, or "taken by another courier").

    `YA 4821` takes that offer. A bare YA takes the courier's one open offer; with several
    they are listed; when the sender also has an order of their own waiting for YA, they
    are asked which they mean.
    """
    courier = _courier(ctx)
    number = parsed.order_number
    if parsed.problem == "bad_order_number":
        return ctx.text("sms.reply.bad_order_number")
    if number is None:
        offers = delivery_queries.open_offers_of_courier(ctx.session, courier.id)
        numbers = [offer.order.number for offer in offers]
        if numbers and own_pending:
            key = "dispatch.reply.ambiguous" if accepting else "dispatch.reply.ambiguous_no"
            return ctx.text(key, list=_listed(numbers), example=numbers[0])
        if not numbers:
            return None if own_pending else ctx.text("dispatch.reply.none_open")
        if len(numbers) > 1:
            return ctx.text(
                "dispatch.reply.several_open",
                count=len(numbers),
                list=_listed(numbers),
                keyword="YA" if accepting else "TOLAK",
                example=numbers[0],
            )
        number = numbers[0]
    verb = dispatch.accept if accepting else dispatch.decline
    return _say(ctx, verb(ctx.session, courier, number, now=ctx.now)) or ""


def ready(ctx: SmsContext, parsed: Parsed) -> str:
    """SIAP / ON: offers from now on (and the orders still looking for a courier)."""
    if ctx.courier is None:
        return _couriers_only(ctx, "SIAP")
    dispatch.set_available(ctx.session, ctx.courier, True, now=ctx.now)
    if ctx.customer is not None and ctx.customer.opted_out_at is not None:
        return ctx.text("dispatch.reply.ready_stopped")
    return ctx.text("dispatch.reply.ready", name=ctx.courier.name)


def rest(ctx: SmsContext, parsed: Parsed) -> str:
    """ISTIRAHAT / OFF: no new offers; a job in hand is still theirs to finish."""
    if ctx.courier is None:
        return _couriers_only(ctx, "ISTIRAHAT")
    dispatch.set_available(ctx.session, ctx.courier, False, now=ctx.now)
    job = delivery_queries.courier_job(ctx.session, ctx.courier.id)
    if job is not None:
        return ctx.text("dispatch.reply.resting_with_job", job=job.number)
    return ctx.text("dispatch.reply.resting")


def pickup(ctx: SmsContext, parsed: Parsed) -> str:
    """AMBIL <nomor>: bought at the stalls, on the way."""
    return _job_step(ctx, parsed, "AMBIL", dispatch.pick_up)


def delivered(ctx: SmsContext, parsed: Parsed) -> str:
    """SELESAI <nomor>: at the door and paid (the office's commission is written with it)."""
    percent = ctx.channel.rules.dispatch.commission_percent
    return _job_step(ctx, parsed, "SELESAI", dispatch.deliver, commission_percent=percent)


def failed(ctx: SmsContext, parsed: Parsed) -> str:
    """GAGAL <nomor> <alasan>: picked up, not delivered; the call center decides what next."""
    return _job_step(
        ctx, parsed, "GAGAL", dispatch.fail, reason=parsed.text, policy=ctx.channel.rules.dispatch
    )


def _job_step(
    ctx: SmsContext, parsed: Parsed, keyword: str, verb: Callable[..., Text], **more: object
) -> str:
    if ctx.courier is None:
        return _couriers_only(ctx, keyword)
    if parsed.problem:
        return ctx.text("sms.reply.bad_order_number")
    return ctx.prompts.render(
        verb(ctx.session, ctx.courier, parsed.order_number, now=ctx.now, **more), ctx.lang
    )


def books(ctx: SmsContext, parsed: Parsed) -> str:
    """REKAP / REKAP KEMARIN: a courier's or a trader's figures of the day (both, for a
    number that is both)."""
    if ctx.courier is None and not ctx.vendors:
        return ctx.text("dispatch.reply.books_who")
    if parsed.problem:
        return ctx.text("dispatch.reply.bad_day")
    day = office_day(ctx.now) - dt.timedelta(days=parsed.days_back)
    shown = day.strftime("%d/%m")
    parts = []
    if ctx.courier is not None:
        mine = office_books.courier_day(ctx.session, ctx.courier, day)
        then = "_then" if parsed.days_back else ""  # a past day's balance: no instruction
        if mine.balance > 0:
            balance = Text.of(f"dispatch.reply.balance_owed{then}", amount=Money(mine.balance))
        elif mine.balance < 0:
            balance = Text.of(f"dispatch.reply.balance_credit{then}", amount=Money(-mine.balance))
        else:
            balance = Text.of("dispatch.reply.balance_zero")
        parts.append(
            ctx.text(
                "dispatch.reply.books",
                day=shown,
                name=ctx.courier.name,
                deliveries=mine.deliveries,
                failed=mine.failed,
                paid=_plus(Money(mine.paid_traders), "plus_couriers", other=mine.paid_couriers),
                collected=_plus(Money(mine.collected), "plus_back", back=mine.received_back),
                fees=Money(mine.fees),
                commission=Money(mine.commission),
                held_orders=mine.held_orders,
                held=Money(mine.held_goods),
                balance=balance,
            )
        )
    if ctx.vendors:
        stalls = office_books.trader_day(ctx.session, ctx.vendors, day)
        parts.append(
            ctx.text(
                "dispatch.trader.books",
                day=shown,
                name=stalls.name,
                sold=stalls.lines_sold,
                received=Money(stalls.received),
                returned_lines=stalls.lines_returned,
                returned=Money(stalls.returned),
            )
        )
    return " ".join(parts)


def release(ctx: SmsContext, parsed: Parsed) -> str | None:
    """BATAL from a courier about their own job; None when it is a customer's BATAL."""
    courier = _courier(ctx)
    job = delivery_queries.courier_job(ctx.session, courier.id)
    if job is None:
        return None
    if parsed.order_number == job.number:
        return _say(ctx, dispatch.release(ctx.session, courier, job.number, now=ctx.now))
    if parsed.order_number is not None:
        return None  # another number: the sender's own order, as a customer
    own_open = ctx.customer is not None and order_queries.open_order_of(
        ctx.session, ctx.customer.id
    )
    if own_open:
        return None  # a bare BATAL about their own shopping
    return ctx.text("dispatch.reply.release_how", job=job.number)


def status(ctx: SmsContext, parsed: Parsed) -> str | None:
    """A courier's STATUS: availability, the job in hand, open offers.

    None when the number named is not the courier's (a customer asking about their order).
    """
    courier = _courier(ctx)
    job = delivery_queries.courier_job(ctx.session, courier.id)
    offers = [
        offer.order.number
        for offer in delivery_queries.open_offers_of_courier(ctx.session, courier.id)
    ]
    mine = {job.number} if job else set()
    if parsed.order_number is not None and parsed.order_number not in mine | set(offers):
        return None
    availability = "dispatch.reply.available" if courier.available else "dispatch.reply.unavailable"
    job_text = (
        Text.of(
            "dispatch.reply.job",
            number=job.number,
            state=Text.of(f"sms.state.{job.state}"),
            total=Money(job.total),
        )
        if job
        else Text.of("dispatch.reply.no_job_now")
    )
    offers_text = (
        Text.of("dispatch.reply.offers", list=_listed(offers))
        if offers
        else Text.of("dispatch.reply.no_offers")
    )
    return ctx.text(
        "dispatch.reply.status",
        availability=Text.of(availability),
        job=job_text,
        offers=offers_text,
    )


# ---------------------------------------------------------------- traders


def trader_item(ctx: SmsContext, parsed: Parsed) -> str:
    """HABIS / ADA / HARGA for one of the sender's own items; every channel sees it at once."""
    keyword = {"sold_out": "HABIS", "back_in_stock": "ADA", "price": "HARGA"}[parsed.command]
    if not ctx.vendors:
        return ctx.text("dispatch.trader.only", keyword=keyword)
    own = [item for vendor in ctx.vendors for item in vendor.items]
    codes = ", ".join(item.code for item in own[:8]) or "-"
    example = own[0].code if own else "B01"
    if parsed.problem == "missing":
        return ctx.text("dispatch.trader.code_missing", keyword=keyword, example=example)
    if parsed.problem and parsed.problem.startswith("unknown_code:"):
        code = parsed.problem.split(":", 1)[1]
        return ctx.text("dispatch.trader.unknown", code=code, codes=codes)
    item = order_queries.item_by_code(ctx.session, parsed.code or "")
    if item is None:
        return ctx.text("dispatch.trader.unknown", code=parsed.code, codes=codes)
    if item.vendor_id not in {vendor.id for vendor in ctx.vendors}:
        return ctx.text("dispatch.trader.not_yours", code=item.code, codes=codes)
    if parsed.command == "price":
        return _new_price(ctx, item, parsed)
    item.available = parsed.command == "back_in_stock"
    key = "dispatch.trader.back" if item.available else "dispatch.trader.sold_out"
    return ctx.text(key, code=item.code, name=item.name)


def _new_price(ctx: SmsContext, item: Item, parsed: Parsed) -> str:
    if parsed.problem or parsed.amount is None:
        return ctx.text("dispatch.trader.bad_price", example=item.code)
    rules = ctx.channel.rules
    if not rules.price_ok(parsed.amount):
        return ctx.text(
            "dispatch.trader.absurd_price",
            price=Money(parsed.amount),
            low=Money(MIN_ITEM_PRICE),
            high=Money(rules.goods_cap),
        )
    old, item.price = item.price, parsed.amount
    return ctx.text(
        "dispatch.trader.price",
        code=item.code,
        name=item.name,
        price=Money(item.price),
        unit=Text.of(f"unit.{item.unit}"),
        old=Money(old),
    )


# ---------------------------------------------------------------- helpers


def _courier(ctx: SmsContext) -> Courier:
    assert ctx.courier is not None, "courier commands are routed to couriers only"
    return ctx.courier


def _couriers_only(ctx: SmsContext, keyword: str) -> str:
    return ctx.text("dispatch.reply.couriers_only", keyword=keyword)


def _say(ctx: SmsContext, text: Text | None) -> str | None:
    return ctx.prompts.render(text, ctx.lang) if text is not None else None


def _plus(amount: Money, key: str, **more: int) -> Money | Text:
    """An amount, and beside it a second one when it is not 0 (`Rp0 + ke kurir lain ...`)."""
    if not any(more.values()):
        return amount
    return Text.of(f"dispatch.reply.{key}", amount=amount, **{k: Money(v) for k, v in more.items()})


def _listed(numbers: list[str]) -> str:
    shown = ", ".join(numbers[:OFFER_LIST_LIMIT])
    return shown + (" ..." if len(numbers) > OFFER_LIST_LIMIT else "")


def roles(session: Session, phone: str) -> tuple[Courier | None, tuple]:
    """The courier and the trader stalls registered with this number."""
    return delivery_queries.courier_by_phone(session, phone), tuple(
        delivery_queries.vendors_by_phone(session, phone)
    )
