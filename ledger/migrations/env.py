"""Alembic environment: runs migrations on the engine ledger/migrate.py hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from ledger.tables import metadata

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
        context.run_migrations()
    connection.commit()
