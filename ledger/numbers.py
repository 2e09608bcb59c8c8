"""Gapless document numbers per operator and series, taken inside the caller's transaction.

The counter row is locked by the UPDATE (PostgreSQL: a row lock held to commit; SQLite: the
database's write lock, taken by BEGIN IMMEDIATE), so concurrent completions queue on it.
The number is used by an INSERT in the same transaction: if that transaction rolls back,
so does the increment, and no number is skipped.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger.tables import number_counters

Series = Literal["receipt", "credit_note"]


def _ensure_counter(conn: Connection, operator: str, series: Series) -> None:
    exists = conn.execute(
        select(number_counters.c.next_number).where(
            number_counters.c.operator == operator, number_counters.c.series == series
        )
    ).first()
    if exists is not None:
        return
    try:
        with conn.begin_nested():  # a concurrent first writer may insert it first
            conn.execute(
                insert(number_counters).values(operator=operator, series=series, next_number=1)
            )
    except IntegrityError:
        pass


def next_number(conn: Connection, operator: str, series: Series) -> int:
    """The next number of `series` for `operator`; call inside the document's transaction."""
    _ensure_counter(conn, operator, series)
    row = conn.execute(
        update(number_counters)
        .where(number_counters.c.operator == operator, number_counters.c.series == series)
        .values(next_number=number_counters.c.next_number + 1)
        .returning(number_counters.c.next_number)
    ).one()
    return int(row[0]) - 1
