"""spoken addresses of voice callers, on the customer and on the order

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch_op:
        batch_op.add_column(sa.Column("address_recording_url", sa.String(500), nullable=True))
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(
            sa.Column("delivery_address_recording_url", sa.String(500), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("delivery_address_recording_url")
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_column("address_recording_url")
