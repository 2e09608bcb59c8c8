"""The burst floor replays its schedule on a real Temporal server: one probe per signal."""

from __future__ import annotations

import uuid

from temporalio.testing import WorkflowEnvironment

from bench.probe import measure_burst_floor


async def test_each_signal_of_each_batch_is_timed_once(temporal_env: WorkflowEnvironment) -> None:
    run = uuid.uuid4().hex[:6]
    result = await measure_burst_floor(
        temporal_env.client, f"burst-{run}", f"burst-side-{run}", [(0.0, 3), (0.3, 2)], True
    )
    latencies = result["latencies_ms"]
    assert result["sent"] == 5 and result["activity"] == "local"
    assert isinstance(latencies, list) and len(latencies) == 5
    assert all(0 <= ms < 30_000 for ms in latencies)
