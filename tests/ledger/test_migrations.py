"""The migrations build exactly the tables the code uses, and go down and up again."""

from __future__ import annotations

from sqlalchemy import inspect

from ledger.db import make_engine
from ledger.migrate import downgrade, upgrade
from ledger.tables import metadata


def _tables(url: str) -> dict[str, set[str]]:
    engine = make_engine(url)
    try:
        insp = inspect(engine)
        return {
            name: {col["name"] for col in insp.get_columns(name)}
            for name in insp.get_table_names()
            if name != "alembic_version"
        }
    finally:
        engine.dispose()


def test_upgrade_builds_the_tables_the_code_uses(ledger_url: str) -> None:
    engine = make_engine(ledger_url)
    upgrade(engine)
    engine.dispose()
    expected = {t.name: {c.name for c in t.columns} for t in metadata.sorted_tables}
    assert _tables(ledger_url) == expected


def test_downgrade_removes_them_and_upgrade_is_repeatable(ledger_url: str) -> None:
    engine = make_engine(ledger_url)
    upgrade(engine)
    upgrade(engine)  # already at head: nothing to do, no error
    downgrade(engine, "base")
    assert _tables(ledger_url) == {}
    upgrade(engine)
    engine.dispose()
    assert set(_tables(ledger_url)) == {"number_counters", "receipts", "refunds"}
