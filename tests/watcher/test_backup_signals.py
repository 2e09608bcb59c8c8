"""The watcher's signalling activity against Temporal: backups a session's `SessionState`
shows it already has are not sent; everything else is, as before."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from temporalio import workflow
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities.reconciliation.temporal_reads import TemporalReads
from workflows import contracts as c
from workflows import search_attributes as sa
from workflows.watcher_logic import SignalBatch, SignalResult


@workflow.defn(name=c.SESSION_WORKFLOW, sandboxed=False)
class CountingSession:
    """Stands in for a session: counts the snapshots it is signalled."""

    def __init__(self) -> None:
        self.got: list[str] = []

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal(name=c.SIGNAL_CHARGE_UPDATED)
    def charge_updated(self, snap: c.ChargeSnapshot) -> None:
        self.got.append(snap.state)

    @workflow.query(name="got")
    def received(self) -> list[str]:
        return self.got


def _snap(session_id: str, state: str, kwh: str) -> c.ChargeSnapshot:
    return c.ChargeSnapshot(
        charge_id=abs(hash(session_id)) % 10**6,
        state=state,
        consumed_kwh=Decimal(kwh),
        updated_at=datetime.now(UTC),
        partner_external_id=session_id,
    )


async def _listed(client: Client, ids: list[str]) -> None:
    query = " OR ".join(f"WorkflowId = '{i}'" for i in ids)
    for _ in range(200):
        if (await client.count_workflows(query)).count == len(ids):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("sessions never reached visibility")


async def test_backups_the_session_has_are_left_out(temporal_env: WorkflowEnvironment) -> None:
    client = temporal_env.client
    queue = f"backup-{uuid.uuid4().hex[:8]}"
    run = uuid.uuid4().hex[:8]
    states = {"charging": f"session-t-{run}-a", "starting": f"session-t-{run}-b"}
    states["settling"] = f"session-t-{run}-c"
    async with Worker(client, task_queue=queue, workflows=[CountingSession]):
        handles = {
            state: await client.start_workflow(
                CountingSession.run,
                id=sid,
                task_queue=queue,
                search_attributes=TypedSearchAttributes(
                    [SearchAttributePair(sa.SESSION_STATE, state)]
                ),
            )
            for state, sid in states.items()
        }
        await _listed(client, list(states.values()))
        batch = SignalBatch(
            snapshots=[
                _snap(states["charging"], "charging", "0.4"),  # has its energy: left out
                _snap(states["starting"], "charging", "0.4"),  # waits for it: sent
                # A settling session may be waiting for Monta's final price: sent.
                _snap(states["settling"], "completed", "9"),
                _snap(states["charging"], "paused", "3"),  # no state shows it: sent
                _snap(f"session-t-{run}-it's", "completed", "1"),  # not quotable: sent
            ]
        )
        result = await ActivityEnvironment().run(TemporalReads(client).signal_sessions, batch)
        got = {s: await h.query("got", result_type=list[str]) for s, h in handles.items()}
        for h in handles.values():
            await h.terminate("test over")
    assert result == SignalResult(signaled=3, gone=1, known=1)
    assert got == {"charging": ["paused"], "starting": ["charging"], "settling": ["completed"]}
