"""SQLAlchemy 2 models: the catalog, customers, orders, conversations and the outbox.

Money is integer rupiah. Phone numbers are E.164 strings. Times are stored in UTC and never
defaulted here: whoever writes a row gives its times from the app's clock (storage/clock.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from settings import DEFAULT_TIMEZONE

# Stable constraint names, so that Alembic migrations work the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Order states (docs/RULES.md, docs/DISPATCH.md): placed -> offered -> assigned -> picked_up
# -> delivered, plus cancelled, unassigned, and failed (picked up, not delivered: a courier's
# GAGAL), which staff end as delivered again, returned (the goods back to the traders) or
# written_off (the office carries them). An order is open until it is delivered,
# cancelled or unassigned; a failed one waits for staff.
OPEN_ORDER_STATES = ("placed", "offered", "assigned", "picked_up")
# An order keeps its number while it is open, and while staff can still reopen it (an
# `unassigned` order is given to a courier by hand or offered again from the board, a
# `failed` one delivered again, returned or written off): no new order may take that number
# until then.
NUMBER_HELD_STATES = (*OPEN_ORDER_STATES, "unassigned", "failed")
# What staff may do with a failed delivery ends it in one of these.
FAILURE_ENDS = ("returned", "written_off")
# A customer may cancel until a courier has taken the order.
CANCELLABLE_STATES = ("placed", "offered")
# A courier's job: an order they took and have not delivered yet. One at a time.
ACTIVE_JOB_STATES = ("assigned", "picked_up")


def _state_in(states: tuple[str, ...]) -> Any:
    return text(f"state IN ({', '.join(repr(state) for state in states)})")


# A call back not over yet (domain/messaging/callbacks.py): one per number at a time.
WAITING_CALL_STATES = ("pending", "calling", "ringing")

_ORDER_HOLDS_NUMBER = _state_in(NUMBER_HELD_STATES)
_CALL_IS_WAITING = _state_in(WAITING_CALL_STATES)
_ORDER_IS_A_JOB = _state_in(ACTIVE_JOB_STATES)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A DateTime column that takes and gives aware UTC datetimes (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give Telepasar aware datetimes")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON}


class Market(Base):
    """A traditional market (or the 'Toko & Warung' group) that orders are delivered from."""

    __tablename__ = "markets"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    opens_at: Mapped[dt.time] = mapped_column(Time)
    closes_at: Mapped[dt.time] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(String(40), default=DEFAULT_TIMEZONE)
    delivery_fee: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)

    vendors: Mapped[list[Vendor]] = relationship(
        back_populates="market", order_by="Vendor.position"
    )


class Vendor(Base):
    """A registered trader at a market (a person with a stall, or a shop)."""

    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id"), index=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(20))
    # E.164; a trader with a phone hears of the orders they must prepare and may send
    # HABIS / ADA / HARGA for their own items.
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    position: Mapped[int] = mapped_column(default=0)

    market: Mapped[Market] = relationship(back_populates="vendors")
    items: Mapped[list[Item]] = relationship(back_populates="vendor", order_by="Item.position")


class Item(Base):
    """Something a trader sells, priced per unit (kg, ons, ikat, butir, ...)."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(60))
    unit: Mapped[str] = mapped_column(String(12))
    price: Mapped[int]
    available: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    vendor: Mapped[Vendor] = relationship(back_populates="items")


class Customer(Base):
    """Someone who orders, known by the E.164 number they call or text from."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str | None] = mapped_column(String(80))
    address: Mapped[str | None] = mapped_column(String(200))
    # A voice caller's name and address as they said it (for couriers and staff to hear).
    address_recording_url: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str | None] = mapped_column(String(3))
    # Set by STOP / BERHENTI: no unsolicited SMS from then on (cleared by START / MULAI).
    # Indexed: who opted out is read on every offer, among every customer there is.
    opted_out_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    created_at: Mapped[dt.datetime]

    orders: Mapped[list[Order]] = relationship(back_populates="customer")


class Order(Base):
    """One delivery from one market: its lines, prices and state."""

    __tablename__ = "orders"
    __table_args__ = (
        # The short number is unique among the orders that hold one (NUMBER_HELD_STATES)
        # only, so numbers can be reused later.
        Index(
            "uq_orders_open_number",
            "number",
            unique=True,
            sqlite_where=_ORDER_HOLDS_NUMBER,
            postgresql_where=_ORDER_HOLDS_NUMBER,
        ),
        # One active job per courier, whatever two requests try at the same moment.
        Index(
            "uq_orders_courier_job",
            "courier_id",
            unique=True,
            sqlite_where=_ORDER_IS_A_JOB,
            postgresql_where=_ORDER_IS_A_JOB,
        ),
        # The worker's sweep, the board and the number in use read orders by state: the
        # few open ones, never the whole history (tests/integration/test_query_plans.py).
        Index("ix_orders_state_placed_at", "state", "placed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(6), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id"))
    state: Mapped[str] = mapped_column(String(12), default="placed")
    channel: Mapped[str] = mapped_column(String(12))
    delivery_name: Mapped[str] = mapped_column(String(80))
    delivery_address: Mapped[str] = mapped_column(String(200))
    delivery_address_recording_url: Mapped[str | None] = mapped_column(String(500))
    goods_total: Mapped[int]
    delivery_fee: Mapped[int]
    total: Mapped[int]
    placed_at: Mapped[dt.datetime]
    deliver_after: Mapped[dt.datetime | None]
    # Dispatch: round 1 offers the market's couriers, round 2 every market's
    # (domain/delivery/dispatch.py).
    courier_id: Mapped[int | None] = mapped_column(ForeignKey("couriers.id"), index=True)
    offer_round: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    offered_at: Mapped[dt.datetime | None]
    assigned_at: Mapped[dt.datetime | None]
    picked_up_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    # The call-center staff member who entered the order for a caller (console orders).
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # The courier who has the goods (paid the traders, or the courier before them): from
    # AMBIL until the door, a return or a write-off. It can differ from `courier_id` when a
    # failed delivery is offered to another courier, who takes the goods over.
    goods_with_id: Mapped[int | None] = mapped_column(ForeignKey("couriers.id"), index=True)

    customer: Mapped[Customer] = relationship(back_populates="orders")
    market: Mapped[Market] = relationship()
    courier: Mapped[Courier | None] = relationship(foreign_keys=[courier_id])
    goods_with: Mapped[Courier | None] = relationship(foreign_keys=[goods_with_id])
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )


class OrderLine(Base):
    """One item of an order, with the name and price it had when it was ordered."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    item_code: Mapped[str] = mapped_column(String(8))
    item_name: Mapped[str] = mapped_column(String(60))
    unit: Mapped[str] = mapped_column(String(12))
    quantity: Mapped[int]
    unit_price: Mapped[int]
    line_total: Mapped[int]
    # When the goods of a failed delivery went back to the trader (docs/DISPATCH.md).
    returned_at: Mapped[dt.datetime | None]

    order: Mapped[Order] = relationship(back_populates="lines")


class Courier(Base):
    """An ojek driver who takes orders by SMS: registered by phone, with a home market.

    `available` is what they said last (SIAP / ISTIRAHAT); a courier whose number sent STOP
    gets no offers whatever it says, until START.
    """

    __tablename__ = "couriers"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id"), index=True)
    language: Mapped[str] = mapped_column(String(3), default="id")
    available: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    market: Mapped[Market] = relationship()


# A courier who declined an order, or took it and gave it back, is never offered it again.
SAID_NO_OFFER_STATES = ("declined", "released")
# An offer closed for a reason that was not the courier's (the round ran out, the order was
# cancelled, released or taken): it may open again when the order is offered again.
REOPENABLE_OFFER_STATES = ("expired", "withdrawn", "taken")


class Offer(Base):
    """One order offered to one courier in one round of offers.

    open -> accepted (this courier won) | taken (another did) | declined (TOLAK) |
    expired (the round ran out) | withdrawn (the order was cancelled or released).
    """

    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("order_id", "courier_id", "round"),
        Index("ix_offers_courier_id_state", "courier_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    courier_id: Mapped[int] = mapped_column(ForeignKey("couriers.id"))
    round: Mapped[int]
    state: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[dt.datetime]
    answered_at: Mapped[dt.datetime | None]

    order: Mapped[Order] = relationship()
    courier: Mapped[Courier] = relationship()


class DeliveryFailure(Base):
    """A courier's GAGAL: the order they could not deliver, why, and when. Never changed."""

    __tablename__ = "delivery_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    courier_id: Mapped[int] = mapped_column(ForeignKey("couriers.id"), index=True)
    reason: Mapped[str] = mapped_column(String(160))
    at: Mapped[dt.datetime]
    day: Mapped[dt.date] = mapped_column(Date, index=True)  # the WITA calendar day of `at`

    courier: Mapped[Courier] = relationship()


class Movement(Base):
    """Money moved from one party to another: the ledger (domain/delivery/ledger.py).

    A party is `courier:<id>`, `trader:<vendor id>`, `customer:<id>` or `office`. Integer
    rupiah, always more than zero. Written in the transaction of the change that causes it
    and never changed or removed (database triggers refuse it): a correction is a new
    movement the other way, naming the one it corrects.
    """

    __tablename__ = "movements"
    __table_args__ = (
        Index("ix_movements_payer_day", "payer", "day"),
        Index("ix_movements_payee_day", "payee", "day"),
        CheckConstraint("amount > 0", name="positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    payer: Mapped[str] = mapped_column(String(24))
    payee: Mapped[str] = mapped_column(String(24))
    amount: Mapped[int]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    at: Mapped[dt.datetime]
    day: Mapped[dt.date] = mapped_column(Date, index=True)  # the WITA calendar day of `at`
    # The staff member who recorded it (hand-overs, corrections, the board's actions).
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # Unique: a movement is corrected once, whatever two clicks try at the same moment.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("movements.id"), unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class Conversation(Base):
    """The state of one menu session on one channel (a USSD session, a call, an SMS thread).

    `version` makes two concurrent requests of one session conflict instead of both acting:
    the loser's transaction (and any order it wrote) rolls back, and it is answered again.
    """

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "session_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(12))
    session_key: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_input: Mapped[str] = mapped_column(Text, default="")
    last_reply: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="active")
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}


class InboundMessage(Base):
    """An SMS as a provider gave it to us: the inbox.

    It is stored (and only then acknowledged) before it is handled, so nothing a provider
    handed over is lost: `pending` until a web request or the worker handles it, then
    `handled`; `dead` when handling failed every time. The provider's id makes a retry of the
    same message a no-op.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("provider", "provider_message_id"),
        Index("ix_inbound_messages_phone_received_at", "phone", "received_at"),
        Index("ix_inbound_messages_due", "state", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime]
    # pending -> handled; dead when every try to handle it failed
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    handled_at: Mapped[dt.datetime | None]
    # The reply given in the provider's answer (Twilio's TwiML), so that a retry of the same
    # message gets the same answer when the first one was lost on the way.
    reply: Mapped[str | None] = mapped_column(Text)


class OutboundMessage(Base):
    """One SMS in the outbox: written with the change that causes it, sent by the worker.

    A worker claims a message (`sending`, with `claimed_by` and a lease) before it calls the
    provider, so no two workers send it; a worker that dies mid-send leaves it to be claimed
    again once the lease has run out (at least once, never lost).
    """

    __tablename__ = "outbound_messages"
    __table_args__ = (
        Index("ix_outbound_messages_due", "state", "next_try_at"),
        # A number's SMS, newest first: its thread in the console, "told already" checks.
        Index("ix_outbound_messages_to_created_at", "to", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    segments: Mapped[int]
    encoding: Mapped[str] = mapped_column(String(8))
    # pending -> sending -> sent -> delivered | failed; back to pending to retry; dead after
    # our last try; refused: never sent (the number opted out)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[dt.datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(120), index=True)
    # Who sent it (SMS_PROVIDER at the time): what each segment cost (SMS_PRICE_RUPIAH).
    provider: Mapped[str | None] = mapped_column(String(20))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]

    order: Mapped[Order | None] = relationship()


class DeliveryReport(Base):
    """A provider's last word on a message it sent for us, kept until it can be applied.

    A report can arrive before the worker has recorded the provider's id for the message; it
    waits here (`applied_at` empty) and is applied when that id is recorded.
    """

    __tablename__ = "delivery_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str] = mapped_column(String(120), index=True)
    delivered: Mapped[bool]
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[dt.datetime]
    applied_at: Mapped[dt.datetime | None]


class Staff(Base):
    """A call-center account: an `operator` enters orders and watches dispatch; an `admin`
    also keeps the register and the accounts. The password is kept as a salted hash only.

    A console cookie names the account and its `session_generation`: logging out, a new
    password or disabling the account moves the generation on, and every copy of an older
    cookie stops working.
    """

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime]
    last_login_at: Mapped[dt.datetime | None]
    session_generation: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    disabled_at: Mapped[dt.datetime | None]


class LoginFailure(Base):
    """A console login being checked, or one that failed (domain/office/staff.py: the throttle).

    `username` is the account's name, or a digest for a name no account has (what was typed
    there may be a password, and is never kept).
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(45))
    at: Mapped[dt.datetime]


class CatalogVersion(Base):
    """One row: a number that database triggers bump whenever a market, trader or item
    changes (migration 0008), so that a process knows when its cached catalog is stale."""

    __tablename__ = "catalog_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]


class WorkerHeartbeat(Base):
    """When each worker process was last heard from (for `/healthz/worker`)."""

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    started_at: Mapped[dt.datetime]
    beat_at: Mapped[dt.datetime]


class OutboundCall(Base):
    """A call back to someone who rang the missed-call number: claimed and placed by the
    worker like an outbox SMS (a lease, retries with backoff, `dead` after the last try).

    pending -> calling (claimed) -> ringing (the provider took it) -> answered | unanswered
    (the SMS offer went instead); dead when it could not be placed.
    """

    __tablename__ = "outbound_calls"
    __table_args__ = (
        Index("ix_outbound_calls_due", "state", "next_try_at"),
        # One call back waiting per number, whatever two rings at the same moment try.
        Index(
            "uq_outbound_calls_waiting",
            "phone",
            unique=True,
            sqlite_where=_CALL_IS_WAITING,
            postgresql_where=_CALL_IS_WAITING,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    state: Mapped[str] = mapped_column(String(12), default="pending")
    missed_calls: Mapped[int] = mapped_column(default=1)  # rings merged into this callback
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[dt.datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[dt.datetime | None]
    provider_call_id: Mapped[str | None] = mapped_column(String(120), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class MissedRing(Base):
    """One ring on the missed-call number, known by the provider's call id: a replay of the
    same ring does nothing, and the hourly cap counts what rings led to."""

    __tablename__ = "missed_rings"
    __table_args__ = (
        UniqueConstraint("provider", "call_id"),
        Index("ix_missed_rings_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    call_id: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime]
    # call_back, merged, told_how, already_told, foreign (outside PHONE_REGION), capped
    outcome: Mapped[str] = mapped_column(String(20))


class OrderEntry(Base):
    """The one-time key of a console order form: a double click, a second Ctrl+Enter or a
    browser's resend of the same form finds the key taken and places nothing more."""

    __tablename__ = "order_entries"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))  # the caller the form was for
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    created_at: Mapped[dt.datetime]

    order: Mapped[Order | None] = relationship()
