"""A stand-in session: a workflow of the session's type that just returns a planted outcome,
so reconciliation can be shown a session whose books are wrong in one chosen way."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import contracts as c
    from workflows.session_models import SessionStatus


@workflow.defn(name=c.SESSION_WORKFLOW)
class PlantedSession:
    @workflow.run
    async def run(self, outcome: SessionStatus) -> SessionStatus:
        return outcome
