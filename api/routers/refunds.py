"""Refunds of a completed session: operators only (an operator key, never a terminal's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from api.dependencies import State, Temporal
from api.errors import ApiError, error_responses
from api.operator_auth import OperatorUser, require_operator_session
from api.records_workflow import records_start
from api.refund_service import (
    RefundAnswer,
    RefundBody,
    check_currency,
    send_refund,
)
from api.routers.sessions import SessionId
from receipts.document import number_text
from workflows.contracts import RefundRequest

router = APIRouter(tags=["refunds"])

Refund = Annotated[
    RefundBody,
    Body(
        openapi_examples={
            "partial": {
                "summary": "Give back part of the capture",
                "value": {
                    "refund_key": "rf-0001",
                    "amount": {"amount_minor": 250, "currency": "EUR"},
                    "reason": "charger delivered less than shown",
                },
            }
        }
    ),
]


@router.post(
    "/v1/sessions/{session_id}/refunds",
    response_model=RefundAnswer,
    responses=error_responses(400, 401, 403, 404, 409, 413, 422, 502, 503, 504),
    summary="Refund part or all of a completed session (operator key; idempotent per key)",
    description=(
        "422 `refund_above_refundable`, `currency_mismatch`, `refund_key_reused`; 409 "
        "`session_not_final`, `session_not_refundable`, `receipt_pending`, `refund_refused`; "
        "504 `refund_pending` (send the same request again)."
    ),
)
async def refund(
    session_id: SessionId, body: Refund, scope: OperatorUser, state: State, client: Temporal
) -> RefundAnswer:
    require_operator_session(scope, session_id)
    receipt, start = await records_start(state, client, session_id)
    check_currency(receipt, body.amount)
    if body.amount.amount_minor == 0:
        raise ApiError(422, "invalid_request", "a refund must be more than 0")
    request = RefundRequest(
        refund_key=body.refund_key,
        amount=body.amount,
        reason=body.reason,
        requested_by=scope.user,
        digest=body.digest(),
    )
    done = await send_refund(
        client, start, request, state.settings.session_task_queue, state.settings.api_start_wait_s
    )
    return RefundAnswer(
        session_id=session_id,
        refund=done,
        credit_note_number_text=number_text(receipt.operator, "C", done.credit_note_number),
    )
