"""Outbound calls: the call-backs of the missed-call number, claimed by the worker

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

WAITING = sa.text("state IN ('pending', 'calling', 'ringing')")


def upgrade() -> None:
    op.create_table(
        "outbound_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("missed_calls", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_call_id", sa.String(length=120), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_outbound_calls_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_calls")),
    )
    op.create_index("ix_outbound_calls_due", "outbound_calls", ["state", "next_try_at"])
    op.create_index(
        "uq_outbound_calls_waiting",
        "outbound_calls",
        ["phone"],
        unique=True,
        sqlite_where=WAITING,
        postgresql_where=WAITING,
    )
    op.create_index(op.f("ix_outbound_calls_phone"), "outbound_calls", ["phone"])
    op.create_index(
        op.f("ix_outbound_calls_provider_call_id"), "outbound_calls", ["provider_call_id"]
    )


def downgrade() -> None:
    op.drop_table("outbound_calls")
