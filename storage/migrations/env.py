"""Alembic environment: runs migrations on the engine handed over by storage.db.

On SQLite a migration that alters a table rebuilds it (a new table, the rows copied, the old
one dropped, the new one renamed), and dropping a table other rows refer to fails while
foreign keys are enforced. So, as SQLite's own procedure for such changes says, foreign
keys are off while the migrations run (outside any transaction: the pragma does nothing
inside one), checked when they are done, and on again.
"""

from alembic import context

from storage.models import Base

config = context.config
engine = config.attributes["engine"]

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
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            connection.commit()
            if broken:
                raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")
    finally:
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
