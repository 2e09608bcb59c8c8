"""[4 of 7]: the saved views docs/operations.md ships are queries Temporal accepts, and the
first one finds a declined session, which Temporal's own Status column shows as Completed."""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from api.session_start import start_session
from tests.support.processes import REPO
from tests.workflow.fakes import FakeWorld
from tests.workflow.harness import make_request, session_worker

pytestmark = pytest.mark.timeout(120)
PLACEHOLDERS = {"<day>": "2026-01-01", "<instant>": "2026-01-01T00:00:00Z"}


def saved_views() -> dict[str, str]:
    """The `| to find | query |` table of docs/operations.md: what each view finds -> query."""
    text = (REPO / "docs" / "operations.md").read_text()
    table = text.split("| to find | query |", 1)[1].split("\n\n", 1)[0]
    views = {}
    for row in re.finditer(r"^\| (.+?) \| `(.+)` \|$", table, re.MULTILINE):
        query = row.group(2)
        for placeholder, value in PLACEHOLDERS.items():
            query = query.replace(placeholder, value)
        views[row.group(1)] = query
    return views


async def test_every_saved_view_is_a_query_temporal_accepts(
    temporal_env: WorkflowEnvironment,
) -> None:
    views = saved_views()
    assert len(views) >= 10
    for found, query in views.items():
        async for _ in temporal_env.client.list_workflows(query, limit=1):
            break  # an invalid query raises before the first page
        assert query, found


async def test_the_first_view_finds_a_declined_session(temporal_env: WorkflowEnvironment) -> None:
    client = temporal_env.client
    without_charge = next(iter(saved_views().values()))
    async with session_worker(client, FakeWorld(decline="do_not_honor")) as queue:
        handle = await start_session(client, make_request(), queue)
        status = await handle.result()
    assert status.state == "declined"
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    query = f'{without_charge} AND WorkflowId = "{handle.id}"'
    deadline = time.monotonic() + 30  # visibility is eventually consistent: a bound
    found: list[str] = []
    while not found and time.monotonic() < deadline:
        found = [wf.id async for wf in client.list_workflows(query)]
        await asyncio.sleep(0.2)
    assert found == [handle.id]
