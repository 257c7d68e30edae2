"""Failed deliveries and the money ledger: who holds an order's goods, what went back to a
trader, each GAGAL, every movement of money (never changed: triggers refuse it), and which
provider sent each SMS (its price). A `failed` order holds its number.

Orders bought before this migration and not yet delivered (`picked_up`) get their holder and
their traders' payments, dated when they were bought, so that their delivery, failure or
return balances like any other.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from settings import DEFAULT_TIMEZONE

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

REFUSAL = "movements are never changed or removed: record a correction instead"
HELD_BEFORE = "state IN ('placed', 'offered', 'assigned', 'picked_up', 'unassigned')"
HELD = "state IN ('placed', 'offered', 'assigned', 'picked_up', 'unassigned', 'failed')"


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("goods_with_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_orders_goods_with_id_couriers"), "couriers", ["goods_with_id"], ["id"]
        )
        batch.create_index(op.f("ix_orders_goods_with_id"), ["goods_with_id"], unique=False)
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("provider", sa.String(length=20), nullable=True))
    op.create_table(
        "delivery_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("courier_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=160), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["courier_id"], ["couriers.id"], name=op.f("fk_delivery_failures_courier_id_couriers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_delivery_failures_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_failures")),
    )
    for column in ("order_id", "courier_id", "day"):
        op.create_index(
            op.f(f"ix_delivery_failures_{column}"), "delivery_failures", [column], unique=False
        )
    op.create_table(
        "movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("payer", sa.String(length=24), nullable=False),
        sa.Column("payee", sa.String(length=24), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_movements_positive")),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["movements.id"], name=op.f("fk_movements_corrects_id_movements")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_movements_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["staff.id"], name=op.f("fk_movements_recorded_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_movements")),
        sa.UniqueConstraint("corrects_id", name=op.f("uq_movements_corrects_id")),
    )
    op.create_index(op.f("ix_movements_order_id"), "movements", ["order_id"], unique=False)
    op.create_index(op.f("ix_movements_day"), "movements", ["day"], unique=False)
    op.create_index("ix_movements_payer_day", "movements", ["payer", "day"], unique=False)
    op.create_index("ix_movements_payee_day", "movements", ["payee", "day"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION refuse_movement_change() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER movements_never_change BEFORE UPDATE OR DELETE ON movements "
            "FOR EACH ROW EXECUTE FUNCTION refuse_movement_change()"
        )
        op.execute(
            "CREATE TRIGGER movements_never_truncated BEFORE TRUNCATE ON movements "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_movement_change()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER movements_never_{event.lower()} BEFORE {event} ON movements "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )

    _number_unique_where(HELD)
    _bought_before_the_ledger()


def _bought_before_the_ledger() -> None:
    """Orders on their way with goods already bought: their holder and trader payments."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT o.id, o.courier_id, o.picked_up_at, i.vendor_id, l.line_total "
            "FROM orders AS o JOIN order_lines AS l ON l.order_id = o.id "
            "JOIN items AS i ON i.id = l.item_id "
            "WHERE o.state = 'picked_up' AND o.courier_id IS NOT NULL ORDER BY o.id, l.id"
        )
    ).all()
    paid: dict[tuple[int, int], int] = defaultdict(int)
    bought: dict[int, tuple[int, dt.datetime]] = {}
    for order_id, courier_id, picked_up_at, vendor_id, line_total in rows:
        paid[order_id, vendor_id] += line_total
        bought[order_id] = (courier_id, _utc(picked_up_at))
    for order_id, (courier_id, _) in bought.items():
        connection.execute(
            sa.text("UPDATE orders SET goods_with_id = :courier WHERE id = :id"),
            {"courier": courier_id, "id": order_id},
        )
    movements = sa.table(
        "movements",
        *(sa.column(name) for name in ("kind", "payer", "payee", "amount", "order_id", "at")),
        sa.column("day"),
        sa.column("note"),
    )
    entries = [
        {
            "kind": "goods_paid",
            "payer": f"courier:{bought[order_id][0]}",
            "payee": f"trader:{vendor_id}",
            "amount": amount,
            "order_id": order_id,
            "at": bought[order_id][1],
            "day": bought[order_id][1].astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date(),
            "note": "bought before the ledger (migration 0015)",
        }
        for (order_id, vendor_id), amount in paid.items()
        if amount > 0
    ]
    if entries:
        op.bulk_insert(movements, entries)


def _utc(moment: object) -> dt.datetime:
    """A stored time as an aware UTC datetime (SQLite gives text or a naive datetime)."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    assert isinstance(moment, dt.datetime)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _number_unique_where(states: str) -> None:
    """The order number's partial unique index, over the orders in `states`."""
    op.drop_index("uq_orders_open_number", table_name="orders")
    op.create_index(
        "uq_orders_open_number",
        "orders",
        ["number"],
        unique=True,
        sqlite_where=sa.text(states),
        postgresql_where=sa.text(states),
    )


def downgrade() -> None:
    _number_unique_where(HELD_BEFORE)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER movements_never_truncated ON movements")
        op.execute("DROP TRIGGER movements_never_change ON movements")
        op.execute("DROP FUNCTION refuse_movement_change()")
    op.drop_table("movements")
    op.drop_table("delivery_failures")
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("provider")
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("returned_at")
    with op.batch_alter_table("orders") as batch:
        batch.drop_index(op.f("ix_orders_goods_with_id"))
        batch.drop_constraint(op.f("fk_orders_goods_with_id_couriers"), type_="foreignkey")
        batch.drop_column("goods_with_id")
