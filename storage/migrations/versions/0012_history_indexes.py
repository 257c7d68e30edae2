"""Indexes for the queries that run on every worker pass, board refresh and SMS thread

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_state_placed_at", "orders", ["state", "placed_at"])
    op.create_index("ix_outbound_messages_to_created_at", "outbound_messages", ["to", "created_at"])
    op.create_index(op.f("ix_customers_opted_out_at"), "customers", ["opted_out_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_customers_opted_out_at"), table_name="customers")
    op.drop_index("ix_outbound_messages_to_created_at", table_name="outbound_messages")
    op.drop_index("ix_orders_state_placed_at", table_name="orders")
