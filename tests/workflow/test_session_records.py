"""SessionRecordsWorkflow (workflows/session_records.py) on a real Temporal server with fake
activities: it starts from the refunds the ledger already has, never refunds above the
capture, answers a known refund key without moving money, serializes concurrent refunds,
and ends once idle."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.money import Money
from workflows import contracts as c
from workflows.session_records import SessionRecordsWorkflow

pytestmark = pytest.mark.timeout(120)
T0 = datetime(2026, 7, 1, tzinfo=UTC)


def eur(minor: int) -> Money:
    return Money(amount_minor=minor, currency="EUR")


class FakeLedgerAndAcquirer:
    def __init__(self, earlier: list[c.RecordedRefund]) -> None:
        self.earlier = earlier
        self.refunds: list[c.RefundInput] = []
        self.recorded: list[c.RecordRefundInput] = []

    def activities(self) -> list[Any]:
        @activity.defn(name=c.LEDGER_REFUNDS_OF)
        async def refunds_of(session_id: str) -> list[c.RecordedRefund]:
            return self.earlier

        @activity.defn(name=c.PAYMENTS_REFUND)
        async def refund(inp: c.RefundInput) -> c.RefundResult:
            await asyncio.sleep(0.2)  # long enough for a second request to arrive meanwhile
            self.refunds.append(inp)
            return c.RefundResult(refund_id=f"re_{len(self.refunds)}", refunded=inp.amount)

        @activity.defn(name=c.LEDGER_RECORD_REFUND)
        async def record(inp: c.RecordRefundInput) -> c.RecordedRefund:
            self.recorded.append(inp)
            return c.RecordedRefund(
                refund_key=inp.refund_key,
                amount=inp.amount,
                digest=inp.digest,
                credit_note_number=len(self.recorded) + 1,
                acquirer_refund_id=inp.acquirer_refund_id,
                created_at=inp.created_at,
            )

        return [refunds_of, refund, record]


@asynccontextmanager
async def records(
    client: Client, fakes: FakeLedgerAndAcquirer
) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    queue = f"records-{uuid.uuid4().hex[:8]}"
    sid = f"session-alpha-T1-{uuid.uuid4().hex[:8]}"
    start = c.RecordsStart(
        session_id=sid, operator="alpha", authorization_id="auth-1", captured=eur(1000)
    )
    async with Worker(
        client, task_queue=queue, workflows=[SessionRecordsWorkflow], activities=fakes.activities()
    ):
        handle = await client.start_workflow(
            SessionRecordsWorkflow.run, start, id=c.records_workflow_id(sid), task_queue=queue
        )
        yield handle


def request(key: str, minor: int, digest: str = "d1") -> c.RefundRequest:
    return c.RefundRequest(
        refund_key=key, amount=eur(minor), reason="test", requested_by="alice", digest=digest
    )


EARLIER = c.RecordedRefund(
    refund_key="a",
    amount=eur(600),
    digest="d1",
    credit_note_number=1,
    acquirer_refund_id="re_0",
    created_at=T0,
)


def refusal(exc: WorkflowUpdateFailedError) -> str | None:
    return exc.cause.type if isinstance(exc.cause, ApplicationError) else None


async def test_it_starts_from_the_ledger_and_never_exceeds_the_capture(
    temporal_env: WorkflowEnvironment,
) -> None:
    fakes = FakeLedgerAndAcquirer([EARLIER])
    async with records(temporal_env.client, fakes) as handle:
        with pytest.raises(WorkflowUpdateFailedError) as above:
            await handle.execute_update(c.UPDATE_REFUND, request("b", 401))
        assert refusal(above.value) == c.REFUSED_ABOVE_REFUNDABLE
        again: c.RefundDone = await handle.execute_update(
            c.UPDATE_REFUND, request("a", 600), result_type=c.RefundDone
        )
        assert again.credit_note_number == 1 and fakes.refunds == []  # answered, not redone
        with pytest.raises(WorkflowUpdateFailedError) as reused:
            await handle.execute_update(c.UPDATE_REFUND, request("a", 600, digest="d2"))
        assert refusal(reused.value) == c.REFUSED_KEY_REUSED
        done: c.RefundDone = await handle.execute_update(
            c.UPDATE_REFUND, request("c", 400), result_type=c.RefundDone
        )
        assert done.refunded_total == eur(1000)
    (refund,) = fakes.refunds
    assert refund.idempotency_key == f"{handle.id}/c" and refund.authorization_id == "auth-1"


async def test_concurrent_refunds_are_served_one_at_a_time(
    temporal_env: WorkflowEnvironment,
) -> None:
    fakes = FakeLedgerAndAcquirer([])
    async with records(temporal_env.client, fakes) as handle:

        async def ask(key: str) -> str:
            try:
                await handle.execute_update(c.UPDATE_REFUND, request(key, 700))
            except WorkflowUpdateFailedError as exc:
                return str(refusal(exc))
            return "ok"

        answers = await asyncio.gather(ask("x"), ask("y"), ask("z"))
    assert sorted(answers) == ["ok", c.REFUSED_ABOVE_REFUNDABLE, c.REFUSED_ABOVE_REFUNDABLE]
    assert [r.amount.amount_minor for r in fakes.refunds] == [700]


async def test_it_ends_once_idle_with_what_it_knows(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    fakes = FakeLedgerAndAcquirer([EARLIER])
    async with records(time_skipping_env.client, fakes) as handle:
        result = await handle.result()
    assert [r.refund_key for r in result] == ["a"]
