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

from core.operators import Operator
from ledger.receipts_store import issue_receipt
from receipts.build import build_receipt
from workflows import contracts as c
from workflows.contracts import ReceiptInput, ReceiptWritten


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

    def all(self) -> list[Callable[..., Any]]:
        return [self.write_receipt]
