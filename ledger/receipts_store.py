"""Receipts in the ledger: issued once per session, with the operator's next number.

`issue_receipt` is idempotent by session id: a retried activity, a replay or two racing
writers give the one receipt the first commit made. The number is taken in the same
transaction as the insert, so a failed insert gives its number back (no gap).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from ledger.db import reading
from ledger.numbers import next_number
from ledger.tables import receipts
from receipts.document import Receipt


@dataclass(frozen=True)
class Issued:
    receipt: Receipt
    created: bool


def _find(conn: Connection, session_id: str) -> Receipt | None:
    row = conn.execute(
        select(receipts.c.document).where(receipts.c.session_id == session_id)
    ).first()
    return Receipt.model_validate(row[0]) if row is not None else None


def issue_receipt(
    engine: Engine,
    session_id: str,
    operator: str,
    authorization_id: str,
    build: Callable[[int], Receipt],
) -> Issued:
    """The session's receipt: the stored one, or `build(number)` stored with a new number."""
    try:
        with engine.begin() as conn:
            existing = _find(conn, session_id)
            if existing is not None:
                return Issued(existing, created=False)
            receipt = build(next_number(conn, operator, "receipt"))
            conn.execute(
                insert(receipts).values(
                    session_id=session_id,
                    operator=operator,
                    number=receipt.number,
                    issued_at=receipt.issued_at,
                    currency=receipt.currency,
                    total_minor=receipt.total_minor,
                    captured_minor=receipt.captured_minor,
                    authorization_id=authorization_id,
                    document=receipt.model_dump(mode="json"),
                )
            )
            return Issued(receipt, created=True)
    except IntegrityError:
        # Another writer issued this session's receipt between our read and insert (possible
        # on PostgreSQL, where the counter's row lock does not cover the session): theirs.
        found = read_receipt(engine, session_id)
        if found is None:
            raise
        return Issued(found, created=False)


def read_receipt(engine: Engine, session_id: str) -> Receipt | None:
    with reading(engine) as conn:
        return _find(conn, session_id)


def authorization_of(engine: Engine, session_id: str) -> str | None:
    """The hold a session's receipt was captured from: where its refunds go."""
    with reading(engine) as conn:
        row = conn.execute(
            select(receipts.c.authorization_id).where(receipts.c.session_id == session_id)
        ).first()
    return str(row[0]) if row is not None else None
