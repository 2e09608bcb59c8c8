"""Per-state gauges from Temporal visibility: running sessions are counted per SessionState."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from observability import metrics as m
from observability.gauges import refresh_once
from tests.observability import flows
from tests.observability.support import connect, running_worker
from tests.observability.test_metrics import status
from tests.support.temporal import terminate_running_sessions


async def refresh_until_counted(client: Client, state: str, at_least: int) -> float:
    """Visibility is eventually consistent: refresh until it has caught up (or 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        await refresh_once(client)
        count = m.SESSIONS_IN_STATE.labels(state)._value.get()
        if count >= at_least or time.monotonic() > deadline:
            return float(count)
        await asyncio.sleep(0.2)


async def test_running_sessions_counted_per_state_with_age(
    temporal_env: WorkflowEnvironment,
) -> None:
    client = await connect(temporal_env)
    # The gauges cover every running session: none left over from earlier tests.
    await terminate_running_sessions(temporal_env.client)
    started = datetime.now(UTC)
    async with running_worker(
        client, [flows.FakeSession], [flows.fake_stop, flows.fake_capture]
    ) as queue:
        handles = [
            await client.start_workflow(
                flows.FakeSession.run,
                args=[status("completed", "1", "2"), True],
                id=f"session-alpha-T9-{uuid.uuid4().hex[:8]}",
                task_queue=queue,
            )
            for _ in range(2)
        ]
        assert await refresh_until_counted(client, "charging", 2) >= 2
        age = m.SESSION_STATE_AGE_MAX.labels("charging")._value.get()
        # From StateSince, set after the start: at most the time since the test began.
        assert 0 <= age <= (datetime.now(UTC) - started).total_seconds()
        hold_left = m.HOLD_EXPIRING._value.get()
        # workflow.now() is the server's clock, the gauge's "now" this process's: allow the
        # sub-second skew between them (seen: 0.45 ms past the hold's two hours).
        assert 0 < hold_left <= flows.HOLD_LEFT.total_seconds() + 1
        for h in handles:
            await h.signal(flows.FakeSession.finish)
            await h.result()
