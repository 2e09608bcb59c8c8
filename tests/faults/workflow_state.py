"""Whether a session's workflow itself failed: the API's status query still answers for a
failed workflow (with the state it died in), so the matrix asks Temporal directly."""

from __future__ import annotations

import asyncio

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

BROKEN = {
    WorkflowExecutionStatus.FAILED,
    WorkflowExecutionStatus.TERMINATED,
    WorkflowExecutionStatus.TIMED_OUT,
    WorkflowExecutionStatus.CANCELED,
}


def workflow_failure(temporal_address: str, workflow_id: str) -> str | None:
    """None while the workflow runs or completed; else its status and failure message."""

    async def read() -> str | None:
        client = await Client.connect(temporal_address)
        handle = client.get_workflow_handle(workflow_id)
        try:
            desc = await handle.describe()
        except RPCError:
            return None  # not started (yet): nothing failed
        if desc.status not in BROKEN:
            return None
        message = ""
        async for event in handle.fetch_history_events():
            if event.HasField("workflow_execution_failed_event_attributes"):
                message = event.workflow_execution_failed_event_attributes.failure.message
        assert desc.status is not None
        return f"workflow {desc.status.name}: {message}".strip()

    return asyncio.run(read())
