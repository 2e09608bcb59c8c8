"""One acquirer account serves every operator: bravo's reconciliation sees alpha's holds.
A live alpha session's hold survives bravo's run with auto-void on, and its capture still
works; a planted orphan is voided; while some running session cannot answer its status
query, nothing is voided (the orphan is reported deferred)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.reconciliation.wiring import ensure_watchers
from tests.reconciliation.runs import reconcile
from tests.reconciliation.stubs import PlantedSession
from tests.support.acquirer import acquirer_emulator
from tests.support.monta_emulator import monta_emulator
from tests.watcher.inproc import chargepay_workers, make_operator, make_settings, start_paid_session
from workflows import contracts as c
from workflows.contracts import SessionStatus
from workflows.reconciliation_models import ReconcileReport

SCALE = 60.0
pytestmark = pytest.mark.timeout(240)


def orphans(report: ReconcileReport) -> dict[str, str | None]:
    return {
        m.authorization_id or "": m.action
        for m in report.mismatches
        if m.kind == "hold_open_after_session_end"
    }


async def start_unanswerable_session(client: Client) -> str:
    """A running session on a queue no worker polls: its status query cannot be answered."""
    sid = f"session-nobody-{uuid.uuid4().hex[:8]}"
    status = SessionStatus(
        session_id=sid, operator="nobody", charge_point_id=1, terminal_id="T", state="pricing"
    )
    await client.start_workflow(
        PlantedSession.run, status, id=sid, task_queue=f"unpolled-{uuid.uuid4().hex[:8]}"
    )
    return sid


async def test_bravo_leaves_alphas_live_hold_and_defers_when_unsure(
    temporal_env: WorkflowEnvironment, log_dir: Path
) -> None:
    client = temporal_env.client
    tmp = log_dir / f"reconcile-x-{uuid.uuid4().hex[:6]}"
    since = datetime.now(UTC) - timedelta(seconds=2)
    with (
        monta_emulator(log_dir, time_scale=SCALE, env={"MONTA_EMU_EXTRA_POINTS": "1"}) as emu,
        acquirer_emulator(log_dir, time_scale=SCALE) as acq,
    ):
        alpha = make_operator("alpha", rate_limit=1000)
        bravo = make_operator("bravo", rate_limit=1000)
        settings = make_settings(emu, acq)
        async with chargepay_workers(client, settings, [alpha, bravo]) as workers:
            await ensure_watchers(client, settings, {alpha.key: alpha})
            session = await start_paid_session(client, workers, acq, alpha, 100001, 2000)
            accepted = await session.execute_update(
                c.UPDATE_WAIT_ACCEPTED, result_type=SessionStatus
            )
            live_hold = accepted.authorization_id
            assert live_hold is not None
            orphan = acq.place_hold("T-orphan", 1000, "EUR")
            first = await reconcile(client, bravo, settings, since, tmp)
            during = await session.query(c.QUERY_STATUS, result_type=SessionStatus)
            live_after = acq.hold(live_hold)

            unsure = await start_unanswerable_session(client)
            try:
                orphan2 = acq.place_hold("T-orphan2", 1000, "EUR")
                second = await reconcile(client, bravo, settings, since, tmp)
            finally:
                await client.get_workflow_handle(unsure).terminate("test over")
            orphan2_after = acq.hold(orphan2)

            await session.execute_update(c.UPDATE_REQUEST_STOP, c.StopRequest(reason="test"))
            final = await session.result()
            await client.get_workflow_handle(f"watcher-{alpha.key}").terminate("test over")
        orphan_after = acq.hold(orphan)

    # Bravo reconciled while alpha's session was charging on its hold.
    assert during.state in ("starting", "charging"), during
    assert live_after["status"] == "open", live_after
    assert orphans(first) == {orphan: "voided"}, first.mismatches
    assert orphan_after["status"] == "voided"
    # The session then captured on its hold as usual.
    assert final.state == "completed", final
    assert final.captured is not None and final.captured.amount_minor > 0
    # A running session that cannot answer might own any hold: report, never void.
    assert orphans(second) == {orphan2: "deferred: 1 running sessions did not answer"}
    assert orphan2_after["status"] == "open"
