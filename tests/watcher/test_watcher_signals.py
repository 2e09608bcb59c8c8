"""The watcher against Temporal: idle without sessions (no Monta call), the API's throttled
`webhook_seen` reaches it, and while webhooks flow it reads only completed charges."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from decimal import Decimal

from temporalio import activity
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


async def test_idle_watcher_and_webhook_seen(temporal_env: WorkflowEnvironment) -> None:
    client = temporal_env.client
    op = f"w{uuid.uuid4().hex[:7]}"
    queue = f"watch-{op}"
    pages: list[object] = []

    @activity.defn(name=WATCHER_OPEN_SESSIONS)
    async def open_sessions(operator: str) -> int:
        return 0

    @activity.defn(name=MONTA_CHARGES_PAGE)
    async def page(req: object) -> None:
        pages.append(req)

    cfg = WatcherConfig(operator=op, monta_task_queue=queue, time_scale=600.0)
    async with Worker(
        client, task_queue=queue, workflows=[MontaWatcherWorkflow], activities=[open_sessions, page]
    ):
        handle = await client.start_workflow(
            MontaWatcherWorkflow.run, cfg, id=watcher_workflow_id(op), task_queue=queue
        )
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
        await handle.terminate("test over")
    assert status.last_webhook_at is not None
    assert status.mode == "idle" and status.polls == 0 and pages == []


async def test_reads_only_completed_charges_while_webhooks_flow(
    temporal_env: WorkflowEnvironment,
) -> None:
    """Open sessions, no webhook yet: every updated charge is read. Webhooks flowing: only
    the completed ones (the one entry no later entry repeats). Webhooks silent again: every
    updated charge."""
    client = temporal_env.client
    op = f"w{uuid.uuid4().hex[:7]}"
    queue = f"watch-{op}"
    reads: list[str] = []

    @activity.defn(name=WATCHER_OPEN_SESSIONS)
    async def open_sessions(operator: str) -> int:
        return 1

    @activity.defn(name=MONTA_CHARGES_PAGE)
    async def page(req: ChargesPageInput) -> ChargesPage:
        assert (req.from_updated is None) != (req.from_completed is None)
        reads.append("completed" if req.from_completed else "updated")
        return ChargesPage(charges=[], is_last=True)

    # 600x: polls every 0.05-0.2 s of wall time; webhooks count as silent after 0.2 s.
    cfg = WatcherConfig(
        operator=op, monta_task_queue=queue, time_scale=600.0, webhook_band_ratio=Decimal("0.9")
    )
    async with Worker(
        client, task_queue=queue, workflows=[MontaWatcherWorkflow], activities=[open_sessions, page]
    ):
        handle = await client.start_workflow(
            MontaWatcherWorkflow.run, cfg, id=watcher_workflow_id(op), task_queue=queue
        )
        await _until(lambda: "updated" in reads)
        flowing_from = len(reads)
        for _ in range(200):  # the API's webhook_seen, while batches arrive
            await handle.signal(SIGNAL_WEBHOOK_SEEN)
            if reads[flowing_from:].count("completed") >= 3:
                break
            await asyncio.sleep(0.03)
        silent_from = len(reads)
        await _until(lambda: "updated" in reads[silent_from:])
        await handle.terminate("test over")
    assert reads[0] == "updated"
    assert reads[flowing_from:silent_from].count("completed") >= 3
    assert "updated" in reads[silent_from:]


async def _until(done: Callable[[], bool], limit_s: float = 20.0) -> None:
    for _ in range(int(limit_s / 0.02)):
        if done():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")
