"""SessionRecordsWorkflow: what happens to a completed session's records afterwards, one
request at a time: refunds, and the receipt corrected with a business buyer's VAT id.

One workflow per session (`records-<session id>`), started by the API with update-with-start:
each request is an update, and the updates run under one lock, so two operators asking at
once cannot together refund more than was captured. A refund is: check (pure,
refund_rules), the acquirer's refund (idempotency key `<workflow id>/<refund key>`), then
the ledger's record and credit note number. The ledger is the memory: a run starts by
reading the session's earlier refunds from it, and ends once idle, so no workflow lives
for the months a refund may come in, and a later refund starts a new run that knows them.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from core.money import Money
    from workflows.activity_errors import error_type, failure_text
    from workflows.contracts import (
        LEDGER_CORRECT_RECEIPT,
        LEDGER_RECORD_REFUND,
        LEDGER_REFUNDS_OF,
        PAYMENTS_REFUND,
        REFUSED_ALREADY_CORRECTED,
        REFUSED_BY_ACQUIRER,
        REFUSED_KEY_REUSED,
        SESSION_RECORDS_WORKFLOW,
        UPDATE_CORRECT_RECEIPT,
        UPDATE_REFUND,
        Buyer,
        CorrectReceiptInput,
        ReceiptWritten,
        RecordedRefund,
        RecordRefundInput,
        RecordsStart,
        RefundDone,
        RefundInput,
        RefundRequest,
        RefundResult,
    )
    from workflows.refund_rules import refund_refusal
    from workflows.retry_policies import LEDGER_RETRY, PAYMENT_DEFINITIVE

IDLE = timedelta(minutes=10)  # then the run ends; the next refund starts another
ACQUIRER_CALL = timedelta(seconds=30)
ACQUIRER_WINDOW = timedelta(minutes=30)  # then the update fails; the same key may retry
LEDGER_CALL = timedelta(seconds=30)
LEDGER_WINDOW = timedelta(days=7)
REFUND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=60),
    non_retryable_error_types=[*PAYMENT_DEFINITIVE, "RefundAboveCaptured", "NotCaptured"],
)


@workflow.defn(name=SESSION_RECORDS_WORKFLOW)
class SessionRecordsWorkflow:
    @workflow.init
    def __init__(self, start: RecordsStart) -> None:
        self.start = RecordsStart.model_validate(start)
        self.done: dict[str, RecordedRefund] = {}
        self.loaded = False
        self.asked = 0
        self.lock = asyncio.Lock()

    @workflow.run
    async def run(self, start: RecordsStart) -> list[RecordedRefund]:
        earlier: list[RecordedRefund] = await workflow.execute_activity(
            LEDGER_REFUNDS_OF,
            self.start.session_id,
            start_to_close_timeout=LEDGER_CALL,
            schedule_to_close_timeout=LEDGER_WINDOW,
            retry_policy=LEDGER_RETRY,
            result_type=list[RecordedRefund],
            summary="refunds already made",
        )
        self.done = {r.refund_key: r for r in earlier}
        self.loaded = True
        while not await self._idle():
            pass
        return list(self.done.values())

    async def _idle(self) -> bool:
        """True once no refund was asked for IDLE and none is running: the run may end."""
        seen = self.asked
        try:
            await workflow.wait_condition(lambda: self.asked != seen, timeout=IDLE)
        except TimeoutError:
            return workflow.all_handlers_finished()
        return False

    def _refunded(self) -> int:
        return sum(r.amount.amount_minor for r in self.done.values())

    def _check(self, request: RefundRequest) -> RecordedRefund | None:
        """The earlier refund under this key, or None for a new one that may be made."""
        earlier = self.done.get(request.refund_key)
        if earlier is not None:
            if earlier.digest != request.digest:
                raise ApplicationError(
                    "this refund key was used with another request", type=REFUSED_KEY_REUSED
                )
            return earlier
        refusal = refund_refusal(self.start.captured, self._refunded(), request.amount)
        if refusal is not None:
            code, message, details = refusal
            raise ApplicationError(message, details, type=code, non_retryable=True)
        return None

    def _answer(self, refund: RecordedRefund) -> RefundDone:
        total = Money(amount_minor=self._refunded(), currency=self.start.captured.currency)
        return RefundDone(
            refund_key=refund.refund_key,
            amount=refund.amount,
            credit_note_number=refund.credit_note_number,
            acquirer_refund_id=refund.acquirer_refund_id,
            refunded_total=total,
            created_at=refund.created_at,
        )

    @workflow.update(name=UPDATE_REFUND)
    async def refund(self, request: RefundRequest) -> RefundDone:
        self.asked += 1
        await workflow.wait_condition(lambda: self.loaded)
        async with self.lock:  # one refund at a time: the check sees every earlier one
            earlier = self._check(request)
            if earlier is not None:
                return self._answer(earlier)
            result = await self._refund_at_acquirer(request)
            recorded: RecordedRefund = await workflow.execute_activity(
                LEDGER_RECORD_REFUND,
                RecordRefundInput(
                    session_id=self.start.session_id,
                    operator=self.start.operator,
                    refund_key=request.refund_key,
                    amount=result.refunded,
                    reason=request.reason,
                    requested_by=request.requested_by,
                    digest=request.digest,
                    acquirer_refund_id=result.refund_id,
                    created_at=workflow.now(),
                ),
                start_to_close_timeout=LEDGER_CALL,
                schedule_to_close_timeout=LEDGER_WINDOW,
                retry_policy=LEDGER_RETRY,
                result_type=RecordedRefund,
                summary=f"credit note for {result.refunded}",
            )
            self.done[request.refund_key] = recorded
            return self._answer(recorded)

    @workflow.update(name=UPDATE_CORRECT_RECEIPT)
    async def correct_receipt(self, buyer: Buyer) -> ReceiptWritten:
        """The receipt reissued for a business buyer (the ledger keeps one per session: the
        same buyer again gets it back, another is refused)."""
        self.asked += 1
        async with self.lock:
            try:
                return await self._correct(buyer)
            except ActivityError as exc:
                kind, _ = error_type(exc)
                if kind != REFUSED_ALREADY_CORRECTED:
                    raise
                raise ApplicationError(
                    failure_text(exc), type=REFUSED_ALREADY_CORRECTED, non_retryable=True
                ) from None

    async def _correct(self, buyer: Buyer) -> ReceiptWritten:
        written: ReceiptWritten = await workflow.execute_activity(
            LEDGER_CORRECT_RECEIPT,
            CorrectReceiptInput(
                session_id=self.start.session_id,
                operator=self.start.operator,
                buyer=buyer,
                issued_at=workflow.now(),
            ),
            start_to_close_timeout=LEDGER_CALL,
            schedule_to_close_timeout=LEDGER_WINDOW,
            retry_policy=LEDGER_RETRY,
            result_type=ReceiptWritten,
            summary=f"receipt corrected for {buyer.vat_id}",
        )
        return written

    @refund.validator
    def _validate(self, request: RefundRequest) -> None:
        if self.loaded:  # before that, the handler checks (it waits for the ledger)
            self._check(request)

    async def _refund_at_acquirer(self, request: RefundRequest) -> RefundResult:
        key = f"{workflow.info().workflow_id}/{request.refund_key}"
        try:
            result: RefundResult = await workflow.execute_activity(
                PAYMENTS_REFUND,
                RefundInput(
                    authorization_id=self.start.authorization_id,
                    amount=request.amount,
                    idempotency_key=key,
                ),
                start_to_close_timeout=ACQUIRER_CALL,
                schedule_to_close_timeout=ACQUIRER_WINDOW,
                retry_policy=REFUND_RETRY,
                result_type=RefundResult,
                summary=f"refund {request.amount}: {request.reason[:60]}",
            )
        except ActivityError as exc:
            kind, _ = error_type(exc)
            raise ApplicationError(
                f"the acquirer did not refund: {failure_text(exc)}",
                {"acquirer_error": kind},
                type=REFUSED_BY_ACQUIRER,
                non_retryable=True,
            ) from None
        return result
