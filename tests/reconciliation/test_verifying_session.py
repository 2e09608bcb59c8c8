"""A session that starts long after its card was tapped is still verifying its hold when
reconciliation runs: the hold is past the grace, the session younger than it and without a
hold id. The hold of its terminal is reported deferred and stays open; another terminal's
orphan is voided in the same run."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.reconciliation.runs import reconcile
from tests.reconciliation.stubs import VerifyingSession
from tests.support.acquirer import acquirer_emulator
from tests.support.monta_emulator import monta_emulator
from tests.watcher.inproc import chargepay_workers, make_operator, make_settings
from workflows.contracts import SessionStatus

SCALE = 60.0
GRACE_REAL_S = 1.0  # wall-clock grace: the holds are placed, then outlive it
pytestmark = pytest.mark.timeout(240)


async def test_a_young_session_still_verifying_keeps_its_terminals_hold(
    temporal_env: WorkflowEnvironment, log_dir: Path
) -> None:
    client = temporal_env.client
    tmp = log_dir / f"reconcile-v-{uuid.uuid4().hex[:6]}"
    since = datetime.now(UTC) - timedelta(seconds=2)
    with (
        monta_emulator(log_dir, time_scale=SCALE) as emu,
        acquirer_emulator(log_dir, time_scale=SCALE) as acq,
    ):
        op = make_operator("alpha", rate_limit=1000)
        settings = make_settings(emu, acq)
        async with chargepay_workers(client, settings, [op]):
            mine = acq.place_hold("T-slow", 1000, "EUR")
            other = acq.place_hold("T-other", 1000, "EUR")
            await asyncio.sleep(GRACE_REAL_S * 2)  # both holds are now past the grace
            stub_queue = f"stubs-{uuid.uuid4().hex[:6]}"
            sid = f"session-{op.key}-verifying-{uuid.uuid4().hex[:6]}"
            status = SessionStatus(
                session_id=sid,
                operator=op.key,
                charge_point_id=1,
                terminal_id="T-slow",
                state="authorizing",
            )
            async with Worker(client, task_queue=stub_queue, workflows=[VerifyingSession]):
                handle = await client.start_workflow(
                    VerifyingSession.run, status, id=sid, task_queue=stub_queue
                )
                try:
                    report = await reconcile(
                        client,
                        op,
                        settings,
                        since,
                        tmp,
                        hold_grace_s=GRACE_REAL_S * settings.time_scale,
                    )
                finally:
                    await handle.terminate("test over")
        mine_after, other_after = acq.hold(mine), acq.hold(other)

    orphans = {m.authorization_id: m.action for m in report.mismatches}
    assert orphans == {
        mine: "deferred: a running session on terminal T-slow has no hold id yet",
        other: "voided",
    }, report.mismatches
    assert mine_after["status"] == "open"
    assert other_after["status"] == "voided"
