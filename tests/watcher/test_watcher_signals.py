"""The watcher against Temporal: idle without sessions (no Monta call), the API's throttled
`webhook_seen` reaches it, and while webhooks flow it reads only completed charges."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.reconciliation.webhook_seen import WebhookSeenNotifier
from workflows.watcher import MontaWatcherWorkflow
from workflows.watcher_logic import (
    MONTA_CHARGES_PAGE,
    QUERY_WATCHER_STATUS,
    SIGNAL_WEBHOOK_SEEN,
    WATCHER_OPEN_SESSIONS,
    ChargesPage,
    ChargesPageInput,
    WatcherConfig,
    WatcherStatus,
    watcher_workflow_id,
)


@asynccontextmanager
async def watcher(
    env: WorkflowEnvironment, open_sessions: int, reads: list[ChargesPageInput], **cfg: Any
) -> AsyncIterator[tuple[WorkflowHandle[Any, Any], str]]:
    """A watcher of a fresh operator at 600x (polls every 0.05-0.2 s of wall time; webhooks
    count as silent after 0.2 s) whose Monta pages are empty and recorded in `reads`."""
    op = f"w{uuid.uuid4().hex[:7]}"
    queue = f"watch-{op}"

    @activity.defn(name=WATCHER_OPEN_SESSIONS)
    async def count(operator: str) -> int:
        return open_sessions

    @activity.defn(name=MONTA_CHARGES_PAGE)
    async def page(req: ChargesPageInput) -> ChargesPage:
        reads.append(req)
        return ChargesPage(charges=[], is_last=True)

    config = WatcherConfig(operator=op, monta_task_queue=queue, time_scale=600.0, **cfg)
    async with Worker(
        env.client, task_queue=queue, workflows=[MontaWatcherWorkflow], activities=[count, page]
    ):
        handle = await env.client.start_workflow(
            MontaWatcherWorkflow.run, config, id=watcher_workflow_id(op), task_queue=queue
        )
        try:
            yield handle, op
        finally:
            await handle.terminate("test over")


async def test_idle_watcher_and_webhook_seen(temporal_env: WorkflowEnvironment) -> None:
    client = temporal_env.client
    pages: list[ChargesPageInput] = []
    async with watcher(temporal_env, 0, pages) as (handle, op):
        notifier = WebhookSeenNotifier(client, every_s=60)
        assert await notifier.seen(op)
        assert not await notifier.seen(op)  # throttled
        assert not await WebhookSeenNotifier(client).seen("nosuchoperator")
        status = await handle.query(QUERY_WATCHER_STATUS, result_type=WatcherStatus)
        for _ in range(100):
            if status.last_webhook_at is not None and status.polls == 0:
                break
            await asyncio.sleep(0.05)
            status = await handle.query(QUERY_WATCHER_STATUS, result_type=WatcherStatus)
    assert status.last_webhook_at is not None
    assert status.mode == "idle" and status.polls == 0 and pages == []


async def test_reads_only_completed_charges_while_webhooks_flow(
    temporal_env: WorkflowEnvironment,
) -> None:
    """Open sessions, no webhook yet: every updated charge is read. Webhooks flowing: only
    the completed ones (the one entry no later entry repeats). Webhooks silent again: every
    updated charge."""
    pages: list[ChargesPageInput] = []
    reads: list[str] = []

    def kinds() -> list[str]:
        for req in pages[len(reads) :]:
            assert (req.from_updated is None) != (req.from_completed is None)
            reads.append("completed" if req.from_completed else "updated")
        return reads

    async with watcher(temporal_env, 1, pages, webhook_band_ratio=Decimal("0.9")) as (handle, _):
        await _until(lambda: "updated" in kinds())
        flowing_from = len(kinds())
        for _ in range(200):  # the API's webhook_seen, while batches arrive
            await handle.signal(SIGNAL_WEBHOOK_SEEN)
            if kinds()[flowing_from:].count("completed") >= 3:
                break
            await asyncio.sleep(0.03)
        silent_from = len(kinds())
        await _until(lambda: "updated" in kinds()[silent_from:])
    assert reads[0] == "updated"
    assert reads[flowing_from:silent_from].count("completed") >= 3


async def _until(done: Callable[[], bool], limit_s: float = 20.0) -> None:
    for _ in range(int(limit_s / 0.02)):
        if done():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")
