"""core/worker_options: idle polls, and the unsandboxed runner making the same history."""

from __future__ import annotations

from decimal import Decimal

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import PollerBehaviorAutoscaling, Replayer, UnsandboxedWorkflowRunner

from api.session_start import start_session_and_wait_accepted
from core.worker_options import IDLE_WORKFLOW_POLLERS, worker_options
from tests.workflow.fakes import FakeWorld, now
from tests.workflow.harness import make_request, push, session_handle, session_worker
from workflows.contracts import SessionStatus
from workflows.session_workflows import SESSION_WORKFLOWS

pytestmark = pytest.mark.timeout(120)


def test_sandboxed_by_default_and_plain_runner_on_request() -> None:
    assert "workflow_runner" not in worker_options(50)
    assert isinstance(
        worker_options(50, sandboxed=False)["workflow_runner"], UnsandboxedWorkflowRunner
    )


def test_workflow_polls_stay_open_between_bursts_within_the_maximum() -> None:
    wf = worker_options(50)["workflow_task_poller_behavior"]
    assert isinstance(wf, PollerBehaviorAutoscaling)
    assert (wf.minimum, wf.initial, wf.maximum) == (
        IDLE_WORKFLOW_POLLERS,
        IDLE_WORKFLOW_POLLERS,
        50,
    )
    small = worker_options(4)["workflow_task_poller_behavior"]
    assert (small.minimum, small.maximum) == (4, 4)


async def test_unsandboxed_session_replays_in_the_sandbox(
    temporal_env: WorkflowEnvironment,
) -> None:
    """A session run without the sandbox leaves a history the sandboxed replayer accepts:
    turning the sandbox off in production changes no command."""
    world, client = FakeWorld(), temporal_env.client
    async with session_worker(client, world, **worker_options(8, sandboxed=False)) as queue:
        accepted = await start_session_and_wait_accepted(client, make_request(500), queue)
        handle = session_handle(client, accepted.session_id)
        await push(handle, world, state="charging", started_at=now(), consumed_kwh=Decimal(1))
        await push(handle, world, consumed_kwh=Decimal(7))
        await push(handle, world, state="completed", completed_at=now(), price_minor=478)
        result: SessionStatus = await handle.result()
    assert result.state == "completed" and result.captured is not None
    history = await handle.fetch_history()
    replay = await Replayer(
        workflows=list(SESSION_WORKFLOWS), data_converter=pydantic_data_converter
    ).replay_workflow(history, raise_on_replay_failure=False)
    assert replay.replay_failure is None
