"""A workflow that queues many Monta activities at once on one operator's queue, as a
crowd of sessions and watchers would, and reports when each finished."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows import contracts as c
    from workflows import watcher_logic as w

LOAD_WORKFLOW = "MontaLoadWorkflow"
NO_RETRY = RetryPolicy(maximum_attempts=1)


class LoadInput(BaseModel):
    operator: str
    task_queue: str
    polls: int
    starts: int  # on an offline point: one request each, refused


class LoadResult(BaseModel):
    ok: int
    failed: int


@workflow.defn(name=LOAD_WORKFLOW)
class MontaLoadWorkflow:
    @workflow.run
    async def run(self, inp: LoadInput) -> LoadResult:
        calls = [self._poll(inp) for _ in range(inp.polls)]
        calls += [self._start(inp, i) for i in range(inp.starts)]
        results = await asyncio.gather(*calls, return_exceptions=True)
        failed = sum(1 for r in results if isinstance(r, BaseException))
        return LoadResult(ok=len(results) - failed, failed=failed)

    async def _poll(self, inp: LoadInput) -> None:
        await workflow.execute_activity(
            w.MONTA_CHARGES_PAGE,
            w.ChargesPageInput(operator=inp.operator),
            task_queue=inp.task_queue,
            schedule_to_close_timeout=timedelta(minutes=5),
            retry_policy=NO_RETRY,
            result_type=w.ChargesPage,
        )

    async def _start(self, inp: LoadInput, i: int) -> None:
        await workflow.execute_activity(
            c.MONTA_START_CHARGE,
            c.StartChargeInput(
                operator=inp.operator,
                charge_point_id=107,  # seeded offline: refused with one request
                paying_team_id=1001,
                partner_external_id=f"session-{inp.operator}-load-{i}",
                kwh_limit=1,
                currency="EUR",
                payment_session=c.PaymentSessionInfo(provider="chargepay", external_id=f"L{i}"),
            ),
            task_queue=inp.task_queue,
            schedule_to_close_timeout=timedelta(minutes=5),
            retry_policy=NO_RETRY,
            result_type=c.ChargeSnapshot,
        )


@workflow.defn(name="StopperWorkflow")
class StopperWorkflow:
    """Waits for `stop`, then stops the charge the way sessions do: a local activity."""

    def __init__(self) -> None:
        self.go = False

    @workflow.signal(name="stop")
    def stop(self) -> None:
        self.go = True

    @workflow.run
    async def run(self, ref: c.ChargeRef) -> c.ChargeSnapshot:
        await workflow.wait_condition(lambda: self.go)
        snap: c.ChargeSnapshot = await workflow.execute_local_activity(
            c.MONTA_STOP_CHARGE_LOCAL,
            ref,
            start_to_close_timeout=timedelta(seconds=10),
            result_type=c.ChargeSnapshot,
        )
        return snap
