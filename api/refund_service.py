"""Refunds from the API's side: which session may be refunded, and carrying the request to
the session's SessionRecordsWorkflow (update-with-start) and its answer back.

The API decides nothing about money: the workflow checks the amount against the capture
under its lock. What the API refuses up front (no receipt, another currency) moves nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError

from api.errors import ApiError
from api.records_workflow import start_operation
from core.card_data import TextWithoutCardNumber
from core.money import Money
from receipts.document import Receipt
from workflows import contracts as c
from workflows.contracts import RecordsStart, RefundDone, RefundRequest

# The workflow's refusal -> HTTP status (the `error` code is the refusal's own).
_REFUSALS: dict[str, int] = {
    c.REFUSED_ABOVE_REFUNDABLE: 422,
    c.REFUSED_CURRENCY: 422,
    c.REFUSED_KEY_REUSED: 422,
    c.REFUSED_BY_ACQUIRER: 409,
}


class RefundBody(BaseModel):
    refund_key: str = Field(pattern=c.REFUND_KEY_PATTERN, description="idempotency key")
    amount: Money
    reason: TextWithoutCardNumber = Field(min_length=1, max_length=500)

    def digest(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


class RefundAnswer(BaseModel):
    session_id: str
    refund: RefundDone
    credit_note_number_text: str


def check_currency(receipt: Receipt, amount: Money) -> None:
    if amount.currency != receipt.currency:
        raise ApiError(
            422,
            c.REFUSED_CURRENCY,
            f"the session was paid in {receipt.currency}, not {amount.currency}",
            {"currency": receipt.currency},
        )


async def send_refund(
    client: Client,
    start: RecordsStart,
    request: RefundRequest,
    task_queue: str,
    wait_s: float,
) -> RefundDone:
    op = start_operation(start, task_queue)
    try:
        done: RefundDone = await client.execute_update_with_start_workflow(
            c.UPDATE_REFUND,
            request,
            start_workflow_operation=op,
            # No update id: Temporal would answer a retry with the first outcome, a refusal
            # included. The workflow dedupes by refund key instead: a retry after a success
            # gets that refund, one after a refusal (the acquirer said no) is tried again.
            result_type=RefundDone,
            rpc_timeout=timedelta(seconds=wait_s),
        )
    except WorkflowUpdateFailedError as exc:
        raise _refused(exc) from exc
    except WorkflowUpdateRPCTimeoutOrCancelledError as exc:
        raise ApiError(
            504,
            "refund_pending",
            "the refund did not finish in time; send the same request again for its answer",
            {"refund_key": request.refund_key},
        ) from exc
    return done


def _refused(exc: WorkflowUpdateFailedError) -> ApiError:
    cause = exc.cause
    if isinstance(cause, ApplicationError) and cause.type in _REFUSALS:
        details = cause.details[0] if cause.details else None
        return ApiError(_REFUSALS[cause.type], cause.type, cause.message, details)
    return ApiError(502, "refund_failed", f"the refund failed: {cause or exc}")
