"""Bare workflows the benchmark compares chargepay with (same server, no-op bodies).

BareSession repeats a chargepay session's shape (activities per queue, signals, timers)
with no-op activities. The stop-latency floor's and the ingest's bare workflows are in
bench/hook_bare.py.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import SIGNAL_CHARGE_UPDATED, ChargeSnapshot

NOOP = "bench_noop"
BARE_SESSION = "BenchBareSession"
POKE = "poke"
CALL_TIMEOUT = timedelta(seconds=30)
ONCE = RetryPolicy(maximum_attempts=1)
LONG = timedelta(minutes=5)


class BareShape(BaseModel):
    session_activities: int
    side_activities: int
    signals: int
    timers: int  # started; all but `timers_fired` are cancelled, as a session's waits are
    timers_fired: int
    side_queue: str


@activity.defn(name=NOOP)
async def noop(_: int) -> int:
    return 0


@workflow.defn(name=BARE_SESSION)
class BareSession:
    def __init__(self) -> None:
        self.signals = 0

    @workflow.signal(name=POKE)
    def poke(self, _: int) -> None:
        self.signals += 1

    @workflow.signal(name=SIGNAL_CHARGE_UPDATED)
    def charge_updated(self, _: ChargeSnapshot) -> None:
        """The throughput baseline's signals, delivered through the API as a session's."""
        self.signals += 1

    @workflow.run
    async def run(self, shape: BareShape) -> int:
        queues = [None] * shape.session_activities + [shape.side_queue] * shape.side_activities
        cancelled = max(0, shape.timers - shape.timers_fired)
        per_step = -(-cancelled // len(queues)) if queues else 0
        for queue in queues:
            # Long timers started with each activity and cancelled after it: a session's
            # waits are timers that a signal or a result cancels.
            timers = [asyncio.ensure_future(workflow.sleep(LONG)) for _ in range(per_step)]
            cancelled -= len(timers)
            per_step = min(per_step, max(0, cancelled))
            await workflow.execute_activity(
                NOOP, 0, task_queue=queue, start_to_close_timeout=CALL_TIMEOUT, retry_policy=ONCE
            )
            for t in timers:
                t.cancel()
        for _ in range(shape.timers_fired):
            await workflow.sleep(timedelta(milliseconds=1))
        await workflow.wait_condition(lambda: self.signals >= shape.signals, timeout=LONG)
        return self.signals
