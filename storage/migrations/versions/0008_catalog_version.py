"""Catalog version: one number that changes whenever a market, trader or item does

Every process keeps the catalog the menus read in memory and reads it again only when this
number has changed. Triggers bump it in the same transaction as the change itself, whoever
makes it (the console, a trader's HARGA/HABIS/ADA, a CSV import, SQL by hand), so no
writer can forget to.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CATALOG_TABLES = ("markets", "vendors", "items")
BUMP = "UPDATE catalog_version SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "catalog_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_version")),
    )
    op.execute("INSERT INTO catalog_version (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION bump_catalog_version() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in CATALOG_TABLES:
            op.execute(
                f"CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()"
            )
        return
    for table in CATALOG_TABLES:  # SQLite: row triggers only
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER catalog_changed_{table}_{event.lower()} AFTER {event} "
                f"ON {table} BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in CATALOG_TABLES:
            op.execute(f"DROP TRIGGER catalog_changed ON {table}")
        op.execute("DROP FUNCTION bump_catalog_version()")
    else:
        for table in CATALOG_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER catalog_changed_{table}_{event}")
    op.drop_table("catalog_version")
