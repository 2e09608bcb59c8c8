"""The API's probe of the session queue's pollers, against a real Temporal dev server."""

from __future__ import annotations

import asyncio
import uuid

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.worker_code_probe import WorkerCodeProbe
from tests.api.standin import StandInSession
from workflows.worker_code import BEGINS_IN_AUTHORIZING, announce

POLL_S = 0.05


async def _until(probe: WorkerCodeProbe, want: bool) -> bool:
    """Pollers register when they first poll: ask again for a while."""
    for _ in range(100):
        if await probe.follows(BEGINS_IN_AUTHORIZING) == want:
            return True
        await asyncio.sleep(POLL_S)
    return False


async def test_new_shape_only_while_every_poller_follows(temporal_env: WorkflowEnvironment) -> None:
    client = temporal_env.client
    queue = f"probe-{uuid.uuid4().hex[:8]}"
    probe = WorkerCodeProbe(client, queue, ttl_s=0)
    assert not await probe.follows(BEGINS_IN_AUTHORIZING)  # nobody polls yet
    new = Worker(
        client, task_queue=queue, workflows=[StandInSession], identity=announce("new@host")
    )
    async with new:
        assert await _until(probe, True)
        # A second process, as a worker from before the announcement (its own connection).
        other = await Client.connect(client.service_client.config.target_host)
        old = Worker(other, task_queue=queue, workflows=[StandInSession], identity="old@host")
        async with old:
            assert await _until(probe, False)


async def test_the_answer_is_cached(temporal_env: WorkflowEnvironment) -> None:
    clock = [0.0]
    queue = f"probe-{uuid.uuid4().hex[:8]}"
    probe = WorkerCodeProbe(temporal_env.client, queue, ttl_s=30, monotonic=lambda: clock[0])
    assert not await probe.follows(BEGINS_IN_AUTHORIZING)
    worker = Worker(
        temporal_env.client, task_queue=queue, workflows=[StandInSession], identity=announce("w")
    )
    async with worker:
        await asyncio.sleep(0.5)
        assert not await probe.follows(BEGINS_IN_AUTHORIZING)  # within the TTL: as read
        clock[0] = 31.0
        assert await _until(probe, True)
