"""The one-time keys of console order forms: a form posted twice places one order

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_entries",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_entries_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_order_entries")),
    )


def downgrade() -> None:
    op.drop_table("order_entries")
