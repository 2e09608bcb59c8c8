"""The lowest session code the workers on the session queue announce (workflows/
worker_code.py). One DescribeTaskQueue per `ttl_s` per API process; any doubt (no poller
seen, Temporal unreachable) answers 0, and the API starts the way every worker follows.

Temporal lists the workers that polled in the last few minutes, so after old workers stop
the API keeps the old start shape for that long: slower to gain, never unsafe.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from api.dependencies import AppState
from workflows.worker_code import lowest_code

log = logging.getLogger(__name__)
DESCRIBE_TIMEOUT = timedelta(seconds=5)


class WorkerCodeProbe:
    def __init__(
        self,
        client: Client,
        task_queue: str,
        ttl_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._queue = task_queue
        self._ttl_s = ttl_s
        self._now = monotonic
        self._lock = asyncio.Lock()
        self._identities: list[str] = []
        self._read_at: float | None = None
        self._refreshing: asyncio.Task[None] | None = None

    async def lowest(self) -> int:
        """Only the first read waits for Temporal. After that a stale answer is served while
        one read refreshes it in the background: the API's stops and starts ask on their
        way and must not wait for a DescribeTaskQueue on a loaded server (suspected in one
        batch of stops that waited half a second at 500 open). The answer is at most one
        read's time staler for it."""
        if self._read_at is None:
            async with self._lock:  # one read for a burst of first callers
                if self._read_at is None:
                    await self._refresh()
        elif self._now() - self._read_at >= self._ttl_s and self._refreshing is None:
            self._refreshing = asyncio.create_task(self._refresh_in_background())
        return lowest_code(self._identities)

    async def _refresh(self) -> None:
        self._identities = await self._pollers()
        self._read_at = self._now()

    async def _refresh_in_background(self) -> None:
        try:
            await self._refresh()
        finally:
            self._refreshing = None

    async def _pollers(self) -> list[str]:
        request = DescribeTaskQueueRequest(
            namespace=self._client.namespace,
            task_queue=TaskQueue(name=self._queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
        try:
            resp = await self._client.workflow_service.describe_task_queue(
                request, timeout=DESCRIBE_TIMEOUT
            )
        except RPCError as exc:
            log.warning("session queue pollers unread (starting the old way): %s", exc)
            return []
        return [p.identity for p in resp.pollers]


def worker_code_of(state: AppState) -> WorkerCodeProbe:
    """One per API process, on the session queue: its answer is cached for all requests."""
    probe = state.extras.get("worker_code")
    if not isinstance(probe, WorkerCodeProbe):
        assert state.temporal is not None
        probe = state.extras["worker_code"] = WorkerCodeProbe(
            state.temporal, state.settings.session_task_queue
        )
    return probe
