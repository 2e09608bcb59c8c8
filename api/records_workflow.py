"""Reaching a completed session's SessionRecordsWorkflow (refunds, corrected receipts):
what it starts from (the ledger's receipt) and the update-with-start that reaches it."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError

from api.dependencies import AppState
from api.errors import ApiError
from api.receipt_service import why_no_receipt
from core.money import Money
from receipts.document import Receipt
from workflows import contracts as c
from workflows.contracts import Buyer, ReceiptWritten, RecordsStart


async def why_not_refundable(client: Client, session_id: str) -> ApiError:
    """No receipt: the session is unknown (404), not final, or billed nothing (409)."""
    reason = await why_no_receipt(client, session_id)
    if reason.error == "no_receipt":
        return ApiError(409, "session_not_refundable", reason.message, reason.details)
    return reason


async def records_start(
    state: AppState, client: Client, session_id: str
) -> tuple[Receipt, RecordsStart]:
    """The session's receipt and what its records workflow starts from; no receipt: why."""
    receipt = await state.ledger.receipt(session_id)
    authorization_id = await state.ledger.authorization(session_id)
    if receipt is None or authorization_id is None:
        raise await why_not_refundable(client, session_id)
    start = RecordsStart(
        session_id=session_id,
        operator=receipt.operator,
        authorization_id=authorization_id,
        captured=Money(amount_minor=receipt.captured_minor, currency=receipt.currency),
    )
    return receipt, start


def start_operation(start: RecordsStart, task_queue: str) -> WithStartWorkflowOperation[Any, Any]:
    """Joins the running records workflow, or starts one (a finished run's id is reused:
    the new run reads what the last one did from the ledger)."""
    return WithStartWorkflowOperation(
        c.SESSION_RECORDS_WORKFLOW,
        start,
        id=c.records_workflow_id(start.session_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"records of {start.session_id}",
    )


async def send_correction(
    client: Client, start: RecordsStart, buyer: Buyer, task_queue: str, wait_s: float
) -> ReceiptWritten:
    digest = hashlib.sha256(buyer.model_dump_json().encode()).hexdigest()[:16]
    try:
        written: ReceiptWritten = await client.execute_update_with_start_workflow(
            c.UPDATE_CORRECT_RECEIPT,
            buyer,
            start_workflow_operation=start_operation(start, task_queue),
            id=f"correct-receipt:{digest}",  # a retried request joins the first
            result_type=ReceiptWritten,
            rpc_timeout=timedelta(seconds=wait_s),
        )
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == c.REFUSED_ALREADY_CORRECTED:
            message = "the receipt was already reissued for another buyer"
            raise ApiError(409, c.REFUSED_ALREADY_CORRECTED, message) from exc
        raise ApiError(502, "correction_failed", f"the correction failed: {cause or exc}") from exc
    except WorkflowUpdateRPCTimeoutOrCancelledError as exc:
        message = "the corrected receipt is being written: send the same request again"
        raise ApiError(504, "receipt_pending", message) from exc
    return written


def buyer_of(vat_id: str, name: str) -> Buyer:
    """A driver's typing (`de 123.456.789`) to the VAT id's canonical form, or a 422."""
    canonical = "".join(ch for ch in vat_id.upper() if ch.isalnum() or ch in "+*")
    try:
        return Buyer(vat_id=canonical, name=name.strip())
    except ValueError as exc:
        message = "not a VAT id: a country prefix and 2-13 letters or digits (e.g. DE123456789)"
        raise ApiError(422, "invalid_vat_id", message) from exc
