"""The API's probe of the session queue's pollers, against a real Temporal dev server."""

from __future__ import annotations

import asyncio
import uuid

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.worker_code_probe import WorkerCodeProbe
from tests.api.standin import StandInSession
from workflows.worker_code import SESSION_CODE, announce

POLL_S = 0.05


async def _until(probe: WorkerCodeProbe, want: int) -> bool:
    """Pollers register when they first poll: ask again for a while."""
    for _ in range(100):
        if await probe.lowest() == want:
            return True
        await asyncio.sleep(POLL_S)
    return False


async def test_the_lowest_announced_code_counts(temporal_env: WorkflowEnvironment) -> None:
    client = temporal_env.client
    queue = f"probe-{uuid.uuid4().hex[:8]}"
    probe = WorkerCodeProbe(client, queue, ttl_s=0)
    assert await probe.lowest() == 0  # nobody polls yet
    new = Worker(
        client, task_queue=queue, workflows=[StandInSession], identity=announce("new@host")
    )
    async with new:
        assert await _until(probe, SESSION_CODE)
        # A second process, as a worker from before the announcement (its own connection).
        other = await Client.connect(client.service_client.config.target_host)
        old = Worker(other, task_queue=queue, workflows=[StandInSession], identity="old@host")
        async with old:
            assert await _until(probe, 1)


async def test_the_answer_is_cached(temporal_env: WorkflowEnvironment) -> None:
    clock = [0.0]
    queue = f"probe-{uuid.uuid4().hex[:8]}"
    probe = WorkerCodeProbe(temporal_env.client, queue, ttl_s=30, monotonic=lambda: clock[0])
    assert await probe.lowest() == 0
    worker = Worker(
        temporal_env.client, task_queue=queue, workflows=[StandInSession], identity=announce("w")
    )
    async with worker:
        await asyncio.sleep(0.5)
        assert await probe.lowest() == 0  # within the TTL: as read
        clock[0] = 31.0
        assert await _until(probe, SESSION_CODE)


class SlowProbe(WorkerCodeProbe):
    """Pollers read from a script; a read can be made slow (a loaded server)."""

    def __init__(self, clock: list[float]) -> None:
        super().__init__(None, "q", ttl_s=30, monotonic=lambda: clock[0])  # type: ignore[arg-type]
        self.answers = [[announce("new@host")], ["old@host"]]
        self.delay_s = 0.0

    async def _pollers(self) -> list[str]:
        await asyncio.sleep(self.delay_s)
        return self.answers.pop(0)


async def test_a_stale_answer_is_served_while_one_read_refreshes_it() -> None:
    clock = [0.0]
    probe = SlowProbe(clock)
    assert await probe.lowest() == SESSION_CODE  # the first read waits
    probe.delay_s, clock[0] = 0.3, 31.0
    asked = asyncio.get_running_loop().time()
    assert [await probe.lowest() for _ in range(5)] == [SESSION_CODE] * 5  # not held back
    assert asyncio.get_running_loop().time() - asked < 0.2
    await asyncio.sleep(0.5)  # the one background read has come back
    assert await probe.lowest() == 1 and probe.answers == []
