"""Receipts in the ledger: issued once per session, with the operator's next number; and
at most one corrected receipt (a business buyer's VAT id) with a number of its own.

Both are idempotent by session id: a retried activity, a replay or two racing writers get
the one row the first commit made. The number is taken in the same transaction as the
insert, so a failed insert gives its number back (no gap).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from ledger.db import reading
from ledger.numbers import next_number
from ledger.tables import receipts
from receipts.build import corrected_receipt
from receipts.document import Receipt
from workflows.contracts import Buyer

Kind = Literal["original", "correction"]


@dataclass(frozen=True)
class Issued:
    receipt: Receipt
    created: bool


class NoReceipt(LookupError):
    """A correction of a session that has no receipt."""


class AlreadyCorrected(ValueError):
    """The receipt was already corrected for another buyer."""


def _row(conn: Connection, session_id: str, kind: Kind) -> tuple[Receipt, str] | None:
    row = conn.execute(
        select(receipts.c.document, receipts.c.authorization_id).where(
            receipts.c.session_id == session_id, receipts.c.kind == kind
        )
    ).first()
    return (Receipt.model_validate(row[0]), str(row[1])) if row is not None else None


def _find(conn: Connection, session_id: str, kind: Kind = "original") -> Receipt | None:
    found = _row(conn, session_id, kind)
    return found[0] if found else None


def _insert(conn: Connection, receipt: Receipt, kind: Kind, authorization_id: str) -> None:
    conn.execute(
        insert(receipts).values(
            session_id=receipt.session_id,
            kind=kind,
            operator=receipt.operator,
            number=receipt.number,
            issued_at=receipt.issued_at,
            currency=receipt.currency,
            total_minor=receipt.total_minor,
            captured_minor=receipt.captured_minor,
            authorization_id=authorization_id,
            document=receipt.model_dump(mode="json"),
        )
    )


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
            _insert(conn, receipt, "original", authorization_id)
            return Issued(receipt, created=True)
    except IntegrityError:
        # Another writer issued this session's receipt between our read and insert (possible
        # on PostgreSQL, where the counter's row lock does not cover the session): theirs.
        found = read_receipt(engine, session_id)
        if found is None:
            raise
        return Issued(found, created=False)


def issue_correction(engine: Engine, session_id: str, buyer: Buyer, issued_at: datetime) -> Issued:
    """The receipt reissued for `buyer`, once: the same buyer again gets the same one."""
    try:
        with engine.begin() as conn:
            existing = _find(conn, session_id, "correction")
            if existing is not None:
                if existing.buyer != buyer:
                    raise AlreadyCorrected(existing.number_text)
                return Issued(existing, created=False)
            original = _row(conn, session_id, "original")
            if original is None:
                raise NoReceipt(session_id)
            first, authorization_id = original
            number = next_number(conn, first.operator, "receipt")
            corrected = corrected_receipt(first, buyer, number, issued_at)
            _insert(conn, corrected, "correction", authorization_id)
            return Issued(corrected, created=True)
    except IntegrityError:
        found = read_correction(engine, session_id)
        if found is None:
            raise
        if found.buyer != buyer:
            raise AlreadyCorrected(found.number_text) from None
        return Issued(found, created=False)


def read_receipt(engine: Engine, session_id: str) -> Receipt | None:
    with reading(engine) as conn:
        return _find(conn, session_id)


def read_correction(engine: Engine, session_id: str) -> Receipt | None:
    with reading(engine) as conn:
        return _find(conn, session_id, "correction")


def authorization_of(engine: Engine, session_id: str) -> str | None:
    """The hold a session's receipt was captured from: where its refunds go."""
    with reading(engine) as conn:
        found = _row(conn, session_id, "original")
    return found[1] if found else None
