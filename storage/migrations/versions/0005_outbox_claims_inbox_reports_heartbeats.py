"""Workers claim outbox messages; an inbox of pending SMS; delivery reports; heartbeats

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages") as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(80), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_outbound_messages_provider_message_id", ["provider_message_id"])
    # Messages stored before the inbox existed were handled when they arrived.
    with op.batch_alter_table("inbound_messages") as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(10), server_default="handled", nullable=False)
        )
        batch_op.add_column(
            sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_inbound_messages_due", ["state", "next_try_at"])
    # The server defaults only filled the rows above; the application always gives both.
    with op.batch_alter_table("inbound_messages") as batch_op:
        batch_op.alter_column("state", server_default=None)
        batch_op.alter_column("attempts", server_default=None)
    op.create_table(
        "delivery_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("provider_message_id", sa.String(120), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_reports")),
    )
    op.create_index(
        "ix_delivery_reports_provider_message_id", "delivery_reports", ["provider_message_id"]
    )
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker_id", sa.String(80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("worker_heartbeats")
    op.drop_index("ix_delivery_reports_provider_message_id", table_name="delivery_reports")
    op.drop_table("delivery_reports")
    with op.batch_alter_table("inbound_messages") as batch_op:
        batch_op.drop_index("ix_inbound_messages_due")
        for column in ("handled_at", "last_error", "next_try_at", "attempts", "state"):
            batch_op.drop_column(column)
    with op.batch_alter_table("outbound_messages") as batch_op:
        batch_op.drop_index("ix_outbound_messages_provider_message_id")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claimed_by")
