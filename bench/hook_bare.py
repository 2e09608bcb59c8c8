"""Bare workflows the API signals through the same HTTP front as chargepay's sessions.

Their ids start `session-<operator>-`, so a signed Monta webhook batch naming them as a
charge's `partnerExternalId` goes through nginx, an API replica's verification, parsing,
coalescing and signal gate exactly as a session's entry does; only the workflow behind the
signal is bare:

- `HookFloor` (the stop-latency floor): each `charge_updated` signal starts one local
  activity (as a session's stop does, workflows/session_calls.py) that sends one HTTP stop
  request to the Monta emulator.
- `HookSink` (webhook ingest, throughput's bare side): counts `charge_updated` signals.

Only temporalio and the signal's contract are imported: these run in the sandbox when the
bench turns it on.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import SIGNAL_CHARGE_UPDATED, ChargeSnapshot

HOOK_FLOOR = "BenchHookFloor"
HOOK_SINK = "BenchHookSink"
HOOK_STOP = "bench_hook_stop"
FINISH = "finish"
STOP_TIMEOUT = timedelta(seconds=30)
ONCE = RetryPolicy(maximum_attempts=1)


@workflow.defn(name=HOOK_FLOOR)
class HookFloor:
    def __init__(self) -> None:
        self.pending: list[int] = []
        self.stops = 0
        self.done = False

    @workflow.signal(name=SIGNAL_CHARGE_UPDATED)
    def charge_updated(self, snap: ChargeSnapshot) -> None:
        self.pending.append(snap.charge_id)

    @workflow.signal(name=FINISH)
    def finish(self) -> None:
        self.done = True

    @workflow.run
    async def run(self) -> int:
        while True:
            await workflow.wait_condition(lambda: bool(self.pending) or self.done)
            if not self.pending:
                return self.stops
            charge_id = self.pending.pop(0)
            await workflow.execute_local_activity(
                HOOK_STOP, charge_id, start_to_close_timeout=STOP_TIMEOUT, retry_policy=ONCE
            )
            self.stops += 1


@workflow.defn(name=HOOK_SINK)
class HookSink:
    def __init__(self) -> None:
        self.signals = 0
        self.expected: int | None = None

    @workflow.signal(name=SIGNAL_CHARGE_UPDATED)
    def charge_updated(self, _: ChargeSnapshot) -> None:
        self.signals += 1

    @workflow.signal(name=FINISH)
    def finish(self) -> None:
        self.expected = self.signals

    @workflow.run
    async def run(self, signals: int = 0) -> int:
        """`signals` > 0: end after that many (throughput); 0: end on `finish` (ingest)."""
        await workflow.wait_condition(
            lambda: (signals > 0 and self.signals >= signals) or self.expected is not None,
            timeout=timedelta(minutes=10),
        )
        return self.signals
