"""Stand-in sessions: workflows of the session's type, so reconciliation can be shown a
session whose books are wrong in one chosen way (`PlantedSession` returns a planted outcome)
or one still verifying its hold (`VerifyingSession` runs, answering its status query, until
terminated)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import contracts as c
    from workflows.contracts import SessionStatus


@workflow.defn(name=c.SESSION_WORKFLOW)
class PlantedSession:
    @workflow.run
    async def run(self, outcome: SessionStatus) -> SessionStatus:
        return outcome


@workflow.defn(name=c.SESSION_WORKFLOW)
class VerifyingSession:
    def __init__(self) -> None:
        self.status: SessionStatus | None = None

    @workflow.run
    async def run(self, status: SessionStatus) -> SessionStatus:
        self.status = status
        await workflow.wait_condition(lambda: False)
        return status

    @workflow.query(name=c.QUERY_STATUS)
    def query_status(self) -> SessionStatus:
        assert self.status is not None
        return self.status
