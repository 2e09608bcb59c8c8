"""The session's ledger writes, as Temporal activities.

SQLAlchemy's engine is synchronous: each write runs in a thread so the worker's event loop
keeps polling. Idempotency is the ledger's (keyed by session id), so Temporal may retry
freely; a database error is retryable, a write the ledger will never take is not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.money import Money
from core.operators import Operator
from ledger.receipts_store import AlreadyCorrected, NoReceipt, issue_correction, issue_receipt
from ledger.refunds_store import RefundRecord, record_refund, refunds_of
from receipts.build import build_receipt
from workflows import contracts as c
from workflows.contracts import (
    CorrectReceiptInput,
    ReceiptInput,
    ReceiptWritten,
    RecordedRefund,
    RecordRefundInput,
)


def _recorded(r: RefundRecord, credit_note_number: int) -> RecordedRefund:
    return RecordedRefund(
        refund_key=r.refund_key,
        amount=Money(amount_minor=r.amount_minor, currency=r.currency),
        digest=r.request_digest,
        credit_note_number=credit_note_number,
        acquirer_refund_id=r.acquirer_refund_id,
        created_at=r.created_at,
    )


class LedgerActivities:
    def __init__(self, engine: Engine, operators: Mapping[str, Operator]) -> None:
        self._engine = engine
        self._operators = operators

    @activity.defn(name=c.LEDGER_WRITE_RECEIPT)
    async def write_receipt(self, inp: ReceiptInput) -> ReceiptWritten:
        operator = self._operators.get(inp.operator)
        if operator is None:
            raise ApplicationError(
                f"operator {inp.operator!r} is not in the operators file",
                type=c.ERR_LEDGER_REFUSED,
                non_retryable=True,
            )
        issued = await asyncio.to_thread(
            issue_receipt,
            self._engine,
            inp.session_id,
            inp.operator,
            inp.authorization.authorization_id,
            lambda number: build_receipt(inp, operator, number),
        )
        activity.logger.info(
            "receipt %s for %s (%s)",
            issued.receipt.number_text,
            inp.session_id,
            "issued" if issued.created else "already issued",
        )
        return ReceiptWritten(number=issued.receipt.number, created=issued.created)

    @activity.defn(name=c.LEDGER_CORRECT_RECEIPT)
    async def correct_receipt(self, inp: CorrectReceiptInput) -> ReceiptWritten:
        try:
            issued = await asyncio.to_thread(
                issue_correction, self._engine, inp.session_id, inp.buyer, inp.issued_at
            )
        except AlreadyCorrected as exc:
            raise ApplicationError(
                f"receipt already corrected as {exc}",
                type=c.REFUSED_ALREADY_CORRECTED,
                non_retryable=True,
            ) from exc
        except NoReceipt as exc:
            raise ApplicationError(
                f"no receipt to correct for {exc}", type=c.ERR_LEDGER_REFUSED, non_retryable=True
            ) from exc
        return ReceiptWritten(number=issued.receipt.number, created=issued.created)

    @activity.defn(name=c.LEDGER_REFUNDS_OF)
    async def refunds_of(self, session_id: str) -> list[RecordedRefund]:
        rows = await asyncio.to_thread(refunds_of, self._engine, session_id)
        return [_recorded(row, number) for row, number in rows]

    @activity.defn(name=c.LEDGER_RECORD_REFUND)
    async def record_refund(self, inp: RecordRefundInput) -> RecordedRefund:
        row = RefundRecord(
            session_id=inp.session_id,
            refund_key=inp.refund_key,
            operator=inp.operator,
            amount_minor=inp.amount.amount_minor,
            currency=inp.amount.currency,
            reason=inp.reason,
            requested_by=inp.requested_by,
            acquirer_refund_id=inp.acquirer_refund_id,
            request_digest=inp.digest,
            created_at=inp.created_at,
        )
        note = await asyncio.to_thread(record_refund, self._engine, row)
        activity.logger.info("credit note %s for %s", note.number_text, inp.session_id)
        return _recorded(row, note.number).model_copy(update={"created_at": note.created_at})

    def all(self) -> list[Callable[..., Any]]:
        return [self.write_receipt, self.correct_receipt, self.refunds_of, self.record_refund]
