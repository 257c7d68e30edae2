"""Rings on the missed-call number known by call id; the reply kept with an inbound SMS

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "missed_rings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("call_id", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missed_rings")),
        sa.UniqueConstraint("provider", "call_id", name=op.f("uq_missed_rings_provider")),
    )
    op.create_index("ix_missed_rings_at", "missed_rings", ["at"])
    with op.batch_alter_table("inbound_messages") as batch_op:
        batch_op.add_column(sa.Column("reply", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch_op:
        batch_op.drop_column("reply")
    op.drop_index("ix_missed_rings_at", table_name="missed_rings")
    op.drop_table("missed_rings")
