"""StateSince/HoldExpiresAt on every state change, without a patch for new starts.

Sessions started before those attributes existed replay without them (patch
`state-since-and-hold-expiry`). Asking `workflow.patched` makes the SDK upsert
`TemporalChangeVersion`: one more upsert and visibility write per session. A start that sets
StateSince (session_start.py) tells the session to carry state times without asking.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

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
from workflows.session_start import initial_search_attributes, start_options

STATE_UPSERT = "HoldExpiresAt,SessionState,StateSince"


async def _run_to_end(env: WorkflowEnvironment, with_since: bool) -> tuple[list[str], list[str]]:
    world, client = FakeWorld(), env.client
    req = make_request(500)
    async with session_worker(client, world) as queue:
        options = start_options(req, queue)
        if not with_since:  # as a starter from before StateSince was set at the start
            pairs = [p for p in options["search_attributes"] if p.key != sa.STATE_SINCE]
            options["search_attributes"] = TypedSearchAttributes(pairs)
        handle = await client.start_workflow(ChargeSessionWorkflow.run, req, **options)
        await wait_status(handle, lambda s: s.charge_id is not None)
        await push(handle, world, state="charging", started_at=now(), consumed_kwh=Decimal("1"))
        await handle.execute_update(c.UPDATE_REQUEST_STOP, c.StopRequest(reason="terminal"))
        await push(handle, world, state="completed", completed_at=now(), price_minor=100)
        await handle.result()
        return await upserts_and_markers(handle)


async def test_a_start_with_state_since_asks_no_patch(temporal_env: WorkflowEnvironment) -> None:
    upserts, markers = await _run_to_end(temporal_env, with_since=True)
    assert "core_patch" not in markers
    assert not any("TemporalChangeVersion" in u for u in upserts)
    assert upserts.count(STATE_UPSERT) >= 4  # authorizing → starting → … → completed


async def test_a_start_without_it_follows_the_patch(temporal_env: WorkflowEnvironment) -> None:
    upserts, markers = await _run_to_end(temporal_env, with_since=False)
    assert markers.count("core_patch") == 1
    assert "TemporalChangeVersion" in upserts  # the SDK's record of the patch
    assert upserts.count(STATE_UPSERT) >= 4


def test_the_start_says_since_when() -> None:
    at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    attrs = initial_search_attributes(make_request(500), now=at)
    assert attrs.get(sa.STATE_SINCE) == at and attrs.get(sa.SESSION_STATE) == "pricing"
    assert SearchAttributePair(sa.STATE_SINCE, at) in list(attrs)
    # Workers below code 3 on the queue would ask the patch: the start leaves it out.
    assert initial_search_attributes(make_request(500), 2).get(sa.STATE_SINCE) is None
