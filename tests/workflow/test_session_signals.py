"""Webhook-fed signals: duplicates and reordering are harmless; continue-as-new keeps state."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from api.session_start import start_session_and_wait_accepted
from tests.workflow.fakes import FakeWorld, now
from tests.workflow.harness import make_request, push, session_handle, session_worker, wait_status
from workflows import contracts as c
from workflows.contracts import SessionStatus
from workflows.session import ChargeSessionWorkflow

pytestmark = pytest.mark.timeout(120)


async def test_duplicated_and_reordered_snapshots(temporal_env: WorkflowEnvironment) -> None:
    world, client = FakeWorld(), temporal_env.client
    async with session_worker(client, world) as queue:
        accepted = await start_session_and_wait_accepted(client, make_request(500), queue)
        handle = session_handle(client, accepted.session_id)
        # Meter readings 0.3 wall s apart: 0.5 kWh each is 10 kW at 600x, a plausible charge.
        base = now()

        def reading(i: int, kwh: str, **kw: object) -> c.ChargeSnapshot:
            at = base + timedelta(seconds=0.3 * (i + 1))
            return world.set_charge(consumed_kwh=Decimal(kwh), updated_at=at, **kw)

        series = [reading(0, "0.5", state="charging", started_at=base)]
        series += [reading(i, str(Decimal(i + 1) / 2)) for i in range(1, 6)]
        # A webhook batch: every entry twice, in a seeded random order.
        batch = series * 2
        random.Random(7).shuffle(batch)
        for snap in batch:
            await handle.signal(c.SIGNAL_CHARGE_UPDATED, snap)
        status = await wait_status(handle, lambda s: s.updated_at == series[-1].updated_at)
        assert status.consumed_kwh == Decimal("3") and status.state == "charging"
        # An old snapshot arriving late changes nothing.
        await handle.signal(c.SIGNAL_CHARGE_UPDATED, series[0])
        for i, kwh in ((6, "5"), (7, "6.95"), (7, "6.95")):
            await handle.signal(c.SIGNAL_CHARGE_UPDATED, reading(i, kwh))
        await wait_status(handle, lambda s: s.state == "stopping")
        done = reading(8, "6.95", state="completed", completed_at=now(), price_minor=478)
        for _ in range(3):
            await handle.signal(c.SIGNAL_CHARGE_UPDATED, done)
        result: SessionStatus = await handle.result()
    assert result.state == "completed" and result.consumed_kwh == Decimal("6.95")
    assert world.names().count(c.MONTA_STOP_CHARGE) == 1
    assert world.names().count(c.PAYMENTS_CAPTURE) == 1


async def test_continue_as_new_carries_the_whole_state(temporal_env: WorkflowEnvironment) -> None:
    world, client = FakeWorld(), temporal_env.client
    async with session_worker(client, world) as queue:
        req = make_request(500, continue_as_new_after_events=25)
        accepted = await start_session_and_wait_accepted(client, req, queue)
        handle = session_handle(client, accepted.session_id)
        first_run = (await handle.describe()).run_id
        await push(handle, world, state="charging", started_at=now(), consumed_kwh=Decimal("0.1"))
        for i in range(2, 40):
            await push(handle, world, consumed_kwh=Decimal(i) / 10)
        mid = await wait_status(handle, lambda s: s.consumed_kwh == Decimal("3.9"))
        assert (await handle.describe()).run_id != first_run
        assert mid.charge_id == accepted.charge_id and mid.kwh_budget == accepted.kwh_budget
        assert mid.authorized == accepted.authorized and mid.state == "charging"
        await push(handle, world, consumed_kwh=Decimal("6.95"))
        await wait_status(handle, lambda s: s.state == "stopping")
        await push(handle, world, state="completed", completed_at=now(), price_minor=478)
        result: SessionStatus = await handle.result()
    assert result.state == "completed" and result.captured is not None
    assert result.captured.amount_minor == 478
    assert world.names().count(c.MONTA_START_CHARGE) == 1
    assert world.names().count(c.PAYMENTS_VERIFY) == 1


async def test_snapshots_add_no_upserts_and_few_events(temporal_env: WorkflowEnvironment) -> None:
    world, client = FakeWorld(), temporal_env.client
    async with session_worker(client, world) as queue:
        req = make_request(5000)
        accepted = await start_session_and_wait_accepted(client, req, queue)
        handle = session_handle(client, accepted.session_id)
        base = now()

        def reading(i: int) -> c.ChargeSnapshot:
            at = base + timedelta(seconds=0.3 * (i + 1))
            return world.set_charge(
                state="charging", consumed_kwh=Decimal(i + 1) / 10, updated_at=at
            )

        await handle.signal(c.SIGNAL_CHARGE_UPDATED, reading(0))
        await wait_status(handle, lambda s: s.state == "charging")
        before = (await handle.fetch_history()).events
        for i in range(1, 21):
            await handle.signal(c.SIGNAL_CHARGE_UPDATED, reading(i))
        await wait_status(handle, lambda s: s.consumed_kwh == Decimal("2.1"))
        after = (await handle.fetch_history()).events
        await handle.execute_update(ChargeSessionWorkflow.request_stop, c.StopRequest())
        await wait_status(handle, lambda s: s.state == "stopping")
        done = reading(30).model_copy(update={"state": "completed", "price_minor": 213})
        await handle.signal(c.SIGNAL_CHARGE_UPDATED, done)
        result: SessionStatus = await handle.result()
    assert result.state == "completed" and result.attention is None
    added = after[len(before) :]
    kinds = [e.event_type for e in added]
    assert EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES not in kinds
    assert EventType.EVENT_TYPE_TIMER_STARTED not in kinds  # one timer spans the snapshots
    # signal + workflow task (scheduled, started, completed) per snapshot at most
    assert len(added) <= 4 * 20
