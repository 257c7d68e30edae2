"""Couriers, their offers, and the dispatch of orders (one active job per courier)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ACTIVE_JOB = sa.text("state IN ('assigned', 'picked_up')")


def upgrade() -> None:
    op.create_table(
        "couriers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(3), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["market_id"], ["markets.id"], name=op.f("fk_couriers_market_id_markets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_couriers")),
        sa.UniqueConstraint("phone", name=op.f("uq_couriers_phone")),
    )
    op.create_index("ix_couriers_market_id", "couriers", ["market_id"])
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("courier_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("offer_round", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        for column in ("offered_at", "assigned_at", "picked_up_at", "delivered_at"):
            batch_op.add_column(sa.Column(column, sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_orders_courier_id_couriers", "couriers", ["courier_id"], ["id"]
        )
        batch_op.create_index("ix_orders_courier_id", ["courier_id"])
        batch_op.create_index(
            "uq_orders_courier_job",
            ["courier_id"],
            unique=True,
            sqlite_where=ACTIVE_JOB,
            postgresql_where=ACTIVE_JOB,
        )
    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("courier_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["courier_id"], ["couriers.id"], name=op.f("fk_offers_courier_id_couriers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_offers_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        sa.UniqueConstraint("order_id", "courier_id", "round", name=op.f("uq_offers_order_id")),
    )
    op.create_index("ix_offers_order_id", "offers", ["order_id"])
    op.create_index("ix_offers_courier_id_state", "offers", ["courier_id", "state"])
    with op.batch_alter_table("vendors") as batch_op:
        batch_op.create_index("ix_vendors_phone", ["phone"])


def downgrade() -> None:
    with op.batch_alter_table("vendors") as batch_op:
        batch_op.drop_index("ix_vendors_phone")
    op.drop_index("ix_offers_courier_id_state", table_name="offers")
    op.drop_index("ix_offers_order_id", table_name="offers")
    op.drop_table("offers")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_index(
            "uq_orders_courier_job", sqlite_where=ACTIVE_JOB, postgresql_where=ACTIVE_JOB
        )
        batch_op.drop_index("ix_orders_courier_id")
        batch_op.drop_constraint("fk_orders_courier_id_couriers", type_="foreignkey")
        for column in ("delivered_at", "picked_up_at", "assigned_at", "offered_at"):
            batch_op.drop_column(column)
        batch_op.drop_column("offer_round")
        batch_op.drop_column("courier_id")
    op.drop_index("ix_couriers_market_id", table_name="couriers")
    op.drop_table("couriers")
