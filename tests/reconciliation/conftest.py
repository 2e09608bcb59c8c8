"""Reconciliation looks at every running session in the namespace (one acquirer account
serves all operators), so sessions an earlier test left running on a worker that is gone
would make it defer every void. Each test here starts from a namespace with none."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.reconciliation.temporal_reads import RUNNING_SESSIONS


@pytest_asyncio.fixture(autouse=True)
async def no_leftover_sessions(temporal_env: WorkflowEnvironment) -> AsyncIterator[None]:
    client = temporal_env.client
    ids = [wf.id async for wf in client.list_workflows(RUNNING_SESSIONS)]
    await asyncio.gather(
        *(client.get_workflow_handle(i).terminate("earlier test's leftover") for i in ids),
        return_exceptions=True,
    )
    yield
