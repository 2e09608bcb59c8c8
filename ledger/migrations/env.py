"""Alembic environment: runs migrations on the engine ledger/migrate.py hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from ledger.tables import metadata

MIGRATION_LOCK = 0x63686172  # any constant, the same in every process

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through ledger.migrate (python -m ledger upgrade)")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Workers starting together migrate one at a time (SQLite: BEGIN IMMEDIATE).
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.run_migrations()
    connection.commit()
