"""Connecting to the ledger: an engine for a URL, with the settings each engine needs.

SQLite (the default, a file under `.data/`) runs every transaction as `BEGIN IMMEDIATE`:
the writer takes the database's write lock before it reads the counter, so two concurrent
completions queue instead of one failing with "database is locked" half-way. WAL lets the
API read while the worker writes. PostgreSQL serializes the counter with a row lock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

DEFAULT_URL = "sqlite:///.data/ledger.sqlite3"
# How long a writer waits for another's lock before failing (and the activity retrying).
SQLITE_BUSY_TIMEOUT_S = 30.0
# Every statement is bounded: a hung database fails the call, and Temporal retries it.
PG_STATEMENT_TIMEOUT_MS = 15_000
PG_CONNECT_TIMEOUT_S = 10
READ_ONLY = "ledger_read_only"


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would BEGIN DEFERRED; we emit BEGIN ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Readers (the API) take no write lock: they read the last commit beside a writer.
        read = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

    return engine


def make_engine(url: str = DEFAULT_URL) -> Engine:
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": PG_CONNECT_TIMEOUT_S,
            "options": f"-c statement_timeout={PG_STATEMENT_TIMEOUT_MS}",
        },
    )


def reading(engine: Engine) -> Connection:
    """A connection for reads only (on SQLite, its transactions take no write lock)."""
    return engine.connect().execution_options(**{READ_ONLY: True})


def aware(at: datetime) -> datetime:
    """SQLite hands back naive datetimes (it stores no zone): the ledger writes UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
