"""The watcher against Temporal: idle without sessions (no Monta call), and the API's
throttled `webhook_seen` reaches it."""

from __future__ import annotations

import asyncio
import uuid

from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.webhooks.watcher_hint import WebhookSeenNotifier
from workflows.watcher import MontaWatcherWorkflow
from workflows.watcher_logic import (
    MONTA_CHARGES_PAGE,
    QUERY_WATCHER_STATUS,
    WATCHER_OPEN_SESSIONS,
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
