"""Worker Deployment Versioning on a real dev server (docs/upgrades.md): a session started on
v1 finishes on v1's workers while v2, made current, takes the new sessions; the background
queue's workflows move to v2; a v1 worker that restarts does not take the new sessions back.

The workers are worker.py's (`build_workers` with its queues' specs and versioning
behaviours, `start_version`) around fake activities. Which version ran each workflow task
is read from the histories.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from contextlib import AsyncExitStack
from decimal import Decimal
from typing import Any, cast

import pytest
from temporalio.api.enums.v1 import VersioningBehavior as Behavior
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.payments.protocol import PaymentGateway
from activities.reconciliation.wiring import watcher_and_reconciliation_components
from api.session_start import start_session_and_wait_accepted
from core.worker_deployment import describe, is_routed
from settings import Settings
from tests.workflow.background_standin import Ticker
from tests.workflow.fakes import FakeWorld, now
from tests.workflow.harness import make_request, push, session_handle, wait_status
from worker import build_workers, deployment_version, merge_specs, session_specs, start_version
from workflows import contracts as c
from workflows.contracts import SessionStatus

pytestmark = pytest.mark.timeout(90)

PINNED = Behavior.VERSIONING_BEHAVIOR_PINNED
AUTO_UPGRADE = Behavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE


async def _start_version(
    stack: AsyncExitStack, client: Client, base: Settings, build_id: str
) -> tuple[FakeWorld, Settings]:
    """One version's workers on the session and background queues, each version with its
    own fake world; then the version makes itself current as worker.py does at start."""
    settings = base.model_copy(update={"worker_build_id": build_id})
    world = FakeWorld()
    session = session_specs(settings, {}, {}, [])[0]
    background = watcher_and_reconciliation_components(
        settings, {}, {}, cast(PaymentGateway, None), client
    )[0]
    specs = merge_specs(
        [
            dataclasses.replace(session, activities=world.activities()),
            dataclasses.replace(background, workflows=[*background.workflows, Ticker]),
        ]
    )
    version = deployment_version(settings)
    for worker in build_workers(client, specs, None, version=version):
        await stack.enter_async_context(worker)
    assert await start_version(client, settings, version, asyncio.Event())
    # start_version returns once the routing reached every queue: no waiting needed here.
    assert is_routed(await describe(client, version.deployment_name), version)
    return world, settings


async def _charging(
    client: Client, world: FakeWorld, settings: Settings
) -> WorkflowHandle[Any, SessionStatus]:
    request = make_request(500)
    accepted = await start_session_and_wait_accepted(client, request, settings.session_task_queue)
    handle = session_handle(client, accepted.session_id)
    await push(handle, world, state="charging", started_at=now(), consumed_kwh=Decimal("1"))
    await wait_status(handle, lambda s: s.state == "charging")
    return handle


async def _finish(handle: WorkflowHandle[Any, SessionStatus], world: FakeWorld) -> SessionStatus:
    await push(handle, world, state="completed", completed_at=now(), price_minor=120)
    return await handle.result()


async def _tick(handle: WorkflowHandle[Ticker, int], n: int) -> None:
    await handle.signal(Ticker.tick)
    await _wait_count(handle, n)


async def _wait_count(handle: WorkflowHandle[Ticker, int], n: int) -> None:
    for _ in range(600):
        if await handle.query(Ticker.count) >= n:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"ticker never reached {n}")


async def _task_versions(client: Client, workflow_id: str) -> list[tuple[str, int]]:
    """(build id, versioning behaviour) of each completed workflow task, in order."""
    seen: list[tuple[str, int]] = []
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.HasField("workflow_task_completed_event_attributes"):
            done = event.workflow_task_completed_event_attributes
            seen.append((done.deployment_version.build_id, done.versioning_behavior))
    return seen


async def _children(client: Client, workflow_id: str) -> list[str]:
    """The session's child workflows (its hold claim, when the session claims one)."""
    ids = []
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.HasField("child_workflow_execution_started_event_attributes"):
            ids.append(
                event.child_workflow_execution_started_event_attributes.workflow_execution.workflow_id
            )
    return ids


async def test_sessions_finish_on_their_version_while_the_next_takes_new_ones(
    temporal_env: WorkflowEnvironment,
) -> None:
    client = temporal_env.client
    suffix = uuid.uuid4().hex[:8]
    base = Settings(
        worker_deployment_name=f"chargepay-test-{suffix}",
        session_task_queue=f"sessions-{suffix}",
        background_task_queue=f"background-{suffix}",
    )
    async with AsyncExitStack() as stack:
        world_v1, v1 = await _start_version(stack, client, base, "v1")
        ticker = await client.start_workflow(
            Ticker.run, id=f"ticker-{suffix}", task_queue=base.background_task_queue
        )
        await _tick(ticker, 1)
        old = await _charging(client, world_v1, v1)
        # A release: v2's workers start next to v1's and make v2 current.
        world_v2, v2 = await _start_version(stack, client, base, "v2")
        new = await _charging(client, world_v2, v2)
        await _tick(ticker, 2)
        # A second v2 replica starts fine; a v1 worker that restarts (a crash, a moved pod)
        # finds v1 replaced and leaves the new sessions to v2.
        assert await start_version(client, v2, deployment_version(v2), asyncio.Event())
        assert not await start_version(client, v1, deployment_version(v1), asyncio.Event())
        assert is_routed(await describe(client, v2.worker_deployment_name), deployment_version(v2))
        # The old session's charge ends after the switch: v1's workers still serve it.
        first, second = await _finish(old, world_v1), await _finish(new, world_v2)
        await ticker.signal(Ticker.finish)
        assert await ticker.result() == 2

    assert first.state == "completed" and second.state == "completed"
    for handle, build_id in ((old, "v1"), (new, "v2")):
        assert set(await _task_versions(client, handle.id)) == {(build_id, PINNED)}
        for child in await _children(client, handle.id):  # its hold claim stays with it
            assert {b for b, _ in await _task_versions(client, child)} == {build_id}
    # Each version's activities served its own sessions only.
    for world, handle in ((world_v1, old), (world_v2, new)):
        starts = [a for name, a in world.calls if name == c.MONTA_START_CHARGE]
        assert [a.partner_external_id for a in starts] == [handle.id]
    # The long-running workflow moved to the current version at its next task.
    ticks = await _task_versions(client, ticker.id)
    assert {b for b, _ in ticks} == {"v1", "v2"} and ticks[-1] == ("v2", AUTO_UPGRADE)
    assert {behavior for _, behavior in ticks} == {AUTO_UPGRADE}
