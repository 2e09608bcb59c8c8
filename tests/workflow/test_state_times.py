"""StateSince/HoldExpiresAt on every state change (the stuck-session and hold-expiry alerts
read both from visibility), and no patch marker: there is no past to stay compatible with.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from temporalio.common import SearchAttributePair
from temporalio.testing import WorkflowEnvironment

from api.session_start import initial_search_attributes, start_options
from tests.workflow.fakes import FakeWorld, now
from tests.workflow.harness import (
    make_request,
    push,
    session_worker,
    upserts_and_markers,
    wait_status,
)
from workflows import contracts as c
from workflows import search_attributes as sa
from workflows.session import ChargeSessionWorkflow

STATE_UPSERT = "HoldExpiresAt,SessionState,StateSince"


async def _run_to_end(env: WorkflowEnvironment) -> tuple[list[str], list[str]]:
    world, client = FakeWorld(), env.client
    req = make_request(500)
    async with session_worker(client, world) as queue:
        options = start_options(req, queue)
        handle = await client.start_workflow(ChargeSessionWorkflow.run, req, **options)
        await wait_status(handle, lambda s: s.charge_id is not None)
        await push(handle, world, state="charging", started_at=now(), consumed_kwh=Decimal("1"))
        await handle.execute_update(c.UPDATE_REQUEST_STOP, c.StopRequest(reason="terminal"))
        await push(handle, world, state="completed", completed_at=now(), price_minor=100)
        await handle.result()
        return await upserts_and_markers(handle)


async def test_every_state_change_says_since_when_and_no_patch_is_asked(
    temporal_env: WorkflowEnvironment,
) -> None:
    upserts, markers = await _run_to_end(temporal_env)
    assert "core_patch" not in markers
    assert not any("TemporalChangeVersion" in u for u in upserts)
    assert upserts.count(STATE_UPSERT) >= 4  # authorizing → starting → … → completed


def test_the_start_says_since_when() -> None:
    at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    attrs = initial_search_attributes(make_request(500), now=at)
    assert attrs.get(sa.STATE_SINCE) == at and attrs.get(sa.SESSION_STATE) == "authorizing"
    assert SearchAttributePair(sa.STATE_SINCE, at) in list(attrs)
