"""Reconciliation looks at every running session in the namespace (one acquirer account
serves all operators): sessions an earlier test left running on a worker that is gone
would make it defer every void."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from tests.support.temporal import terminate_running_sessions


@pytest_asyncio.fixture(autouse=True)
async def no_leftover_sessions(temporal_env: WorkflowEnvironment) -> AsyncIterator[None]:
    await terminate_running_sessions(temporal_env.client)
    yield
