"""Refunds of a completed session: operators only (an operator key, never a terminal's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from api.dependencies import State, Temporal
from api.errors import ApiError, error_responses
from api.operator_auth import OperatorUser, require_operator_session
from api.refund_service import (
    RefundAnswer,
    RefundBody,
    check_currency,
    send_refund,
    why_not_refundable,
)
from api.routers.sessions import SessionId
from core.money import Money
from receipts.document import number_text
from workflows.contracts import RefundRequest, RefundsStart

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
    receipt = await state.ledger.receipt(session_id)
    authorization_id = await state.ledger.authorization(session_id)
    if receipt is None or authorization_id is None:
        raise await why_not_refundable(client, session_id)
    check_currency(receipt, body.amount)
    if body.amount.amount_minor == 0:
        raise ApiError(422, "invalid_request", "a refund must be more than 0")
    start = RefundsStart(
        session_id=session_id,
        operator=receipt.operator,
        authorization_id=authorization_id,
        captured=receipt_captured(receipt.captured_minor, receipt.currency),
    )
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


def receipt_captured(captured_minor: int, currency: str) -> Money:
    return Money(amount_minor=captured_minor, currency=currency)
