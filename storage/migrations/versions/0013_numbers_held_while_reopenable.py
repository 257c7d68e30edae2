"""An order number stays held while its order can be reopened (`unassigned` too)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30

Before this, a new order could take the number of an `unassigned` one, which staff may
still give to a courier or offer again. Where that already happened, the unassigned order
(of two unassigned ones, the older) gets a fresh six-digit number, so that the index holds.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OPEN = "state IN ('placed', 'offered', 'assigned', 'picked_up')"
HELD = "state IN ('placed', 'offered', 'assigned', 'picked_up', 'unassigned')"


def upgrade() -> None:
    connection = op.get_bind()
    held = set(connection.execute(sa.text(f"SELECT number FROM orders WHERE {HELD}")).scalars())
    clashing = connection.execute(
        sa.text(
            "SELECT DISTINCT lost.id FROM orders AS lost JOIN orders AS kept "
            "ON kept.number = lost.number AND kept.id != lost.id "
            f"WHERE lost.state = 'unassigned' AND kept.{HELD} "
            "AND (kept.state != 'unassigned' OR kept.id > lost.id) ORDER BY lost.id"
        )
    ).scalars()
    candidate = 100000
    for order_id in list(clashing):
        while str(candidate) in held:
            candidate += 1
        held.add(str(candidate))
        connection.execute(
            sa.text("UPDATE orders SET number = :number WHERE id = :id"),
            {"number": str(candidate), "id": order_id},
        )
    _number_unique_where(HELD)


def downgrade() -> None:
    _number_unique_where(OPEN)


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
