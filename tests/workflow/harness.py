"""Run ChargeSessionWorkflow against fake activities on a Temporal test server."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from core.money import Money
from tests.workflow.fakes import FakeWorld
from workflows import contracts as c
from workflows.contracts import SessionConfig, SessionRequest, SessionStatus
from workflows.session_workflows import SESSION_WORKFLOWS

# 600x: start timeout 0.5 s, paused timeout 3 s, silence check 0.5 s, capture margin 6 s.
FAST: dict[str, Any] = {"time_scale": 600.0, "stop_delivery_latency_s": 15.0}


def make_request(amount_minor: int = 500, currency: str = "EUR", **cfg: Any) -> SessionRequest:
    return SessionRequest(
        operator="alpha",
        terminal_id="T1",
        terminal_transaction_id=uuid.uuid4().hex[:12],
        charge_point_id=21,
        paying_team_id=1001,
        amount=Money(amount_minor=amount_minor, currency=currency),
        card_brand="VISA",
        card_last4="1234",
        authorization_ref=f"{currency}:{amount_minor}",
        config=SessionConfig(**{**FAST, **cfg}),
    )


@asynccontextmanager
async def session_worker(client: Client, world: FakeWorld, **options: Any) -> AsyncIterator[str]:
    """A session worker on its own queue; `options` go to Worker (e.g. core.worker_options)."""
    queue = f"sessions-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=list(SESSION_WORKFLOWS),
        activities=world.activities(),
        **options,
    ):
        yield queue


def session_handle(client: Client, session_id: str) -> WorkflowHandle[Any, SessionStatus]:
    """A session's handle, typed by its status (its result and every update's answer)."""
    return client.get_workflow_handle(session_id, result_type=SessionStatus)


async def wait_status(
    handle: WorkflowHandle[Any, Any],
    pred: Callable[[SessionStatus], bool],
    limit_s: float = 30.0,
) -> SessionStatus:
    """Poll the status query until `pred` holds (the limit only bounds a broken test)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while True:
        status: SessionStatus = await handle.query(c.QUERY_STATUS, result_type=SessionStatus)
        if pred(status):
            return status
        if loop.time() > deadline:
            raise AssertionError(f"condition never held; last status {status}")
        await asyncio.sleep(0.05)


async def push(handle: WorkflowHandle[Any, Any], world: FakeWorld, **kw: Any) -> None:
    """Advance the fake charge and signal the snapshot, as a webhook would."""
    await handle.signal(c.SIGNAL_CHARGE_UPDATED, world.set_charge(**kw))


async def state_trail(handle: WorkflowHandle[Any, Any]) -> list[str | None]:
    """SessionState as the session's history sets it: at the start, then every upsert of it."""
    trail: list[str | None] = []
    async for event in handle.fetch_history_events():
        if event.HasField("workflow_execution_started_event_attributes"):
            attrs = event.workflow_execution_started_event_attributes.search_attributes
        elif event.HasField("upsert_workflow_search_attributes_event_attributes"):
            attrs = event.upsert_workflow_search_attributes_event_attributes.search_attributes
        else:
            continue
        state = attrs.indexed_fields.get("SessionState")
        if state is not None or not trail:
            trail.append(json.loads(state.data) if state is not None else None)
    return trail


async def upserts_and_markers(handle: WorkflowHandle[Any, Any]) -> tuple[list[str], list[str]]:
    """The search attributes each upsert of the history set (sorted, comma-joined) and the
    names of its markers, in order."""
    upserts: list[str] = []
    markers: list[str] = []
    async for event in handle.fetch_history_events():
        if event.HasField("upsert_workflow_search_attributes_event_attributes"):
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
            upserts.append(",".join(sorted(fields.indexed_fields)))
        elif event.HasField("marker_recorded_event_attributes"):
            markers.append(event.marker_recorded_event_attributes.marker_name)
    return upserts, markers
