"""Refunds in the ledger, each with a credit note number of its operator's own series.

`record_refund` is idempotent by (session id, refund key): the refund's workflow may retry
it, and the number is taken in the insert's transaction (no gap, as for receipts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, insert, select
from sqlalchemy.exc import IntegrityError

from ledger.db import aware, reading
from ledger.numbers import next_number
from ledger.tables import receipts, refunds
from receipts.document import CreditNote, number_text


@dataclass(frozen=True)
class RefundRecord:
    session_id: str
    refund_key: str
    operator: str
    amount_minor: int
    currency: str
    reason: str
    requested_by: str
    acquirer_refund_id: str
    request_digest: str
    created_at: datetime


def _note(row: object) -> CreditNote:
    r = row._mapping  # type: ignore[attr-defined]
    return CreditNote(
        number=r["credit_note_number"],
        number_text=number_text(r["operator"], "C", r["credit_note_number"]),
        refund_key=r["refund_key"],
        amount_minor=r["amount_minor"],
        currency=r["currency"],
        reason=r["reason"],
        created_at=aware(r["created_at"]),
    )


def _find(conn: Connection, session_id: str, refund_key: str) -> CreditNote | None:
    row = conn.execute(
        select(refunds).where(
            refunds.c.session_id == session_id, refunds.c.refund_key == refund_key
        )
    ).first()
    return _note(row) if row is not None else None


def record_refund(engine: Engine, refund: RefundRecord) -> CreditNote:
    try:
        with engine.begin() as conn:
            existing = _find(conn, refund.session_id, refund.refund_key)
            if existing is not None:
                return existing
            number = next_number(conn, refund.operator, "credit_note")
            conn.execute(insert(refunds).values(credit_note_number=number, **refund.__dict__))
            found = _find(conn, refund.session_id, refund.refund_key)
            assert found is not None
            return found
    except IntegrityError:
        with reading(engine) as conn:
            found = _find(conn, refund.session_id, refund.refund_key)
        if found is None:
            raise
        return found


def _session_rows(engine: Engine, session_id: str) -> Sequence[Row[Any]]:
    """A session's refund rows, in credit-note order (oldest first)."""
    with reading(engine) as conn:
        return conn.execute(
            select(refunds)
            .where(refunds.c.session_id == session_id)
            .order_by(refunds.c.credit_note_number)
        ).all()


def credit_notes(engine: Engine, session_id: str) -> list[CreditNote]:
    return [_note(row) for row in _session_rows(engine, session_id)]


def refunded_minor(engine: Engine, session_id: str) -> int:
    with reading(engine) as conn:
        total = conn.execute(
            select(func.coalesce(func.sum(refunds.c.amount_minor), 0)).where(
                refunds.c.session_id == session_id
            )
        ).scalar_one()
    return int(total)


def _record(values: dict[str, Any]) -> RefundRecord:
    return RefundRecord(**{**values, "created_at": aware(values["created_at"])})


def refunds_of(engine: Engine, session_id: str) -> list[tuple[RefundRecord, int]]:
    """Every refund of a session with its credit note number, oldest first (a new refunds
    workflow run starts from them)."""
    rows = _session_rows(engine, session_id)
    fields = RefundRecord.__dataclass_fields__
    return [
        (
            _record({k: v for k, v in r._mapping.items() if k in fields}),
            int(r._mapping["credit_note_number"]),
        )
        for r in rows
    ]


def credit_note_number(engine: Engine, session_id: str, refund_key: str) -> int | None:
    with reading(engine) as conn:
        found = _find(conn, session_id, refund_key)
    return found.number if found else None


def refunded_by_authorization(engine: Engine, authorization_ids: list[str]) -> dict[str, int]:
    """What the ledger recorded as refunded per hold (reconciliation compares it with the
    acquirer's): refunds joined to their session's receipt, which names the hold."""
    if not authorization_ids:
        return {}
    with reading(engine) as conn:
        rows = conn.execute(
            select(receipts.c.authorization_id, func.sum(refunds.c.amount_minor))
            .select_from(refunds.join(receipts, refunds.c.session_id == receipts.c.session_id))
            .where(
                receipts.c.kind == "original",
                receipts.c.authorization_id.in_(authorization_ids),
            )
            .group_by(receipts.c.authorization_id)
        ).all()
    return {str(auth): int(total) for auth, total in rows}
