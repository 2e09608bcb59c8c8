"""Bare workflows the benchmark compares chargepay with (same server, no-op bodies).

BareSession repeats a chargepay session's shape (activities per queue, signals, timers)
with no-op activities; FloorProbe waits for a client signal and starts one activity of the
kind chargepay stops with: a local activity on the session worker (workflows/session_calls
`stop_charge`), or with `local=False` a regular activity on another task queue (chargepay's
fallback to the operator's Monta queue).
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.common import RetryPolicy

NOOP = "bench_noop"
FLOOR_MARK = "bench_floor_mark"
BARE_SESSION = "BenchBareSession"
FLOOR_PROBE = "BenchFloorProbe"
POKE = "poke"
GO = "go"
LATENCIES = "latencies"
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


@activity.defn(name=FLOOR_MARK)
async def floor_mark(sent_at: float) -> float:
    """Milliseconds from the client's signal send to this activity's start (one clock)."""
    return (time.time() - sent_at) * 1000


@workflow.defn(name=BARE_SESSION)
class BareSession:
    def __init__(self) -> None:
        self.signals = 0

    @workflow.signal(name=POKE)
    def poke(self, _: int) -> None:
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


@workflow.defn(name=FLOOR_PROBE)
class FloorProbe:
    def __init__(self) -> None:
        self.pending: list[float] = []
        self.measured: list[float] = []
        self.done = False

    @workflow.signal(name=GO)
    def go(self, sent_at: float) -> None:
        self.pending.append(sent_at)

    @workflow.signal(name="finish")
    def finish(self) -> None:
        self.done = True

    @workflow.query(name=LATENCIES)
    def latencies(self) -> list[float]:
        return self.measured

    @workflow.run
    async def run(self, side_queue: str, local: bool = True) -> list[float]:
        while True:
            await workflow.wait_condition(lambda: bool(self.pending) or self.done)
            if not self.pending:
                return self.measured
            sent = self.pending.pop(0)
            if local:
                ms: float = await workflow.execute_local_activity(
                    FLOOR_MARK, sent, start_to_close_timeout=CALL_TIMEOUT, retry_policy=ONCE
                )
            else:
                ms = await workflow.execute_activity(
                    FLOOR_MARK,
                    sent,
                    task_queue=side_queue,
                    start_to_close_timeout=CALL_TIMEOUT,
                    retry_policy=ONCE,
                )
            self.measured.append(ms)
