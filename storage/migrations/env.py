"""Alembic environment: runs migrations on the engine handed over by storage.db.

On SQLite a migration that alters a table rebuilds it (a new table, the rows copied, the old
one dropped, the new one renamed), and dropping a table other rows refer to fails while
foreign keys are enforced. So, as SQLite's own procedure for such changes says, foreign
keys are off while the migrations run (outside any transaction: the pragma does nothing
inside one), and checked before the migrations commit: a row they left pointing nowhere
rolls the whole upgrade back. Rows that pointed nowhere before (edited by hand) are not
the migrations' doing and do not stop them.
"""

from alembic import context
from alembic.script import ScriptDirectory

from storage.models import Base

config = context.config
engine = config.attributes["engine"]


def _dangling(connection) -> set[tuple]:
    """Rows whose foreign key points at no row (SQLite's own check)."""
    return {tuple(row) for row in connection.exec_driver_sql("PRAGMA foreign_key_check")}


with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        head = ScriptDirectory.from_config(config).get_current_head()
        with context.begin_transaction():
            current = context.get_context().get_current_revision()
            check = sqlite and current != head  # nothing to apply: nothing to check
            before = _dangling(connection) if check else set()
            context.run_migrations()
            if check and (left := _dangling(connection) - before):
                raise RuntimeError(f"the migration left rows pointing nowhere: {sorted(left)[:5]}")
        connection.commit()
    finally:
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
