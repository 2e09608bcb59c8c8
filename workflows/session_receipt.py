"""The session's last step once it captured: its receipt, written to the ledger.

The ledger keys it by session id, so a retried activity, a replay or a run after
continue-as-new never issues a second receipt or burns a second number. The receipt is a
tax record, so the write is retried for days (a database outage must not lose it); if it
still cannot be written the session ends flagged rather than never ending. Workflow code.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows.activity_errors import failure_text
    from workflows.contracts import (
        LEDGER_WRITE_RECEIPT,
        ReceiptInput,
        ReceiptWritten,
        SessionRequest,
    )
    from workflows.retry_policies import LEDGER_RETRY
    from workflows.session_attributes import flag
    from workflows.session_data import SessionData
    from workflows.session_idle import session_idle_rules

LEDGER_CALL_TIMEOUT = timedelta(seconds=30)  # a statement times out at 15 s (ledger/db.py)
LEDGER_WRITE_WINDOW = timedelta(days=7)
RECEIPT_NOT_WRITTEN = "receipt_not_written"


def receipt_input(request: SessionRequest, data: SessionData) -> ReceiptInput | None:
    """The receipt's facts, or None when there is nothing to bill (nothing captured)."""
    captured, snap = data.captured, data.snapshot
    if captured is None or captured.amount_minor == 0 or snap is None:
        return None
    if data.authorization is None or data.tariff is None:
        return None
    return ReceiptInput(
        session_id=workflow.info().workflow_id,
        operator=request.operator,
        terminal_id=request.terminal_id,
        short_code=request.short_code(),
        charge_point_id=request.charge_point_id,
        charge_point=data.charge_point,
        tariff=data.tariff,
        authorization=data.authorization,
        snapshot=snap,
        price=data.settled_price or captured,
        captured=captured,
        released=data.released,
        uncollected=data.uncollected,
        increments=[i.extra for i in data.increments],
        time_scale=request.config.time_scale,
        issued_at=workflow.now(),
        idle_rules=session_idle_rules(data, request.config),
        idle=data.idle,
    )


async def write_receipt(request: SessionRequest, data: SessionData) -> None:
    if data.receipt_number is not None:
        return
    inp = receipt_input(request, data)
    if inp is None:
        return
    try:
        written: ReceiptWritten = await workflow.execute_activity(
            LEDGER_WRITE_RECEIPT,
            inp,
            start_to_close_timeout=LEDGER_CALL_TIMEOUT,
            schedule_to_close_timeout=LEDGER_WRITE_WINDOW,
            retry_policy=LEDGER_RETRY,
            result_type=ReceiptWritten,
            summary=f"receipt for {inp.price}",
        )
    except ActivityError as exc:
        data.last_error = failure_text(exc)
        flag(data, RECEIPT_NOT_WRITTEN)
        return
    data.receipt_number = written.number
