"""Failed deliveries and the money ledger: who holds an order's goods, what went back to a
trader, each GAGAL, every movement of money (never changed: triggers refuse it), and which
provider sent each SMS (its price)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

REFUSAL = "movements are never changed or removed: record a correction instead"


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("goods_with_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_orders_goods_with_id_couriers"), "couriers", ["goods_with_id"], ["id"]
        )
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


def downgrade() -> None:
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
        batch.drop_constraint(op.f("fk_orders_goods_with_id_couriers"), type_="foreignkey")
        batch.drop_column("goods_with_id")
