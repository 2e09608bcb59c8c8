"""A long-running stand-in for the watcher on the background queue
(tests/workflow/test_worker_versioning.py): it waits on signals, so each one is a workflow
task that the current worker version runs."""

from __future__ import annotations

from temporalio import workflow


@workflow.defn(name="VersioningTicker")
class Ticker:
    """A long-running stand-in on the background queue (where the watcher runs)."""

    def __init__(self) -> None:
        self.ticks = 0
        self.done = False

    @workflow.signal
    def tick(self) -> None:
        self.ticks += 1

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def count(self) -> int:
        return self.ticks

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        return self.ticks
