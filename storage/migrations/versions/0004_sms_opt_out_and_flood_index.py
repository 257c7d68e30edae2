"""SMS: a customer's opt-out, and an index to count a number's recent messages

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch_op:
        batch_op.add_column(sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("inbound_messages") as batch_op:
        batch_op.create_index("ix_inbound_messages_phone_received_at", ["phone", "received_at"])


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch_op:
        batch_op.drop_index("ix_inbound_messages_phone_received_at")
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_column("opted_out_at")
