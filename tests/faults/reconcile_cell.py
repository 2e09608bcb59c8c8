"""Reconciliation cells: an orphan hold (no session pays with it) and one reconciliation
run with the fault, then one without. The faulted run must void nothing; the clean run
voids the orphan once."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import Client

from tests.faults.cells import Cell
from tests.faults.lanes import SCALE, LaneStack
from tests.faults.observation import Observation
from workflows.reconciliation import ReconciliationWorkflow
from workflows.reconciliation_models import ReconcileInput

OPERATOR = "alpha"
RUN_BOUND_S = 60.0  # guards a broken run; a run that retries longer is reported so


def run_reconcile_cell(lane: LaneStack, cell: Cell) -> Observation:
    stack = lane.stack
    before = {h["id"] for h in stack.acquirer_truth()["holds"]}
    since = datetime.now(UTC) - timedelta(seconds=5)
    ref = stack.place_hold(lane.terminal, 1500)
    obs = Observation(cell.id, session_id=f"orphan hold {ref}", hold_ref=ref)
    # Reconciliation runs on the background queue, beside the watcher.
    queue = stack.stack.config.background_task_queue
    lane.set_faults(list(cell.monta), list(cell.acquirer))
    try:
        first = _reconcile(stack.stack.temporal_address, since, queue)
    finally:
        lane.clear_faults()
    obs.status = {"state": _hold(lane, ref)["status"], "run": first}
    obs.notes.append(f"faulted run: {first}")
    second = _reconcile(stack.stack.temporal_address, since, queue)
    obs.then_status = {"state": _hold(lane, ref)["status"], "run": second}
    obs.observed_at = time.time()
    obs.holds = [h for h in stack.acquirer_truth()["holds"] if h["id"] not in before]
    return obs


def _hold(lane: LaneStack, ref: str) -> dict[str, Any]:
    return next(h for h in lane.stack.acquirer_truth()["holds"] if h["id"] == ref)


def _reconcile(address: str, since: datetime, background_queue: str) -> str:
    """One run over the window since the cell began; its outcome in a few words."""

    async def run() -> str:
        client = await Client.connect(address)
        inp = ReconcileInput(
            operator=OPERATOR,
            monta_task_queue=f"monta-{OPERATOR}",
            window_from=since,
            window_to=datetime.now(UTC) + timedelta(seconds=2),
            time_scale=SCALE,
            auto_void=True,
            hold_grace_s=0,
            report_dir=tempfile.mkdtemp(prefix="fault-reconcile-"),
        )
        handle = await client.start_workflow(
            ReconciliationWorkflow.run,
            inp,
            id=f"reconcile-fault-{uuid.uuid4().hex[:8]}",
            task_queue=background_queue,
        )
        try:
            report = await asyncio.wait_for(handle.result(), RUN_BOUND_S)
        except TimeoutError:
            return f"still running after {RUN_BOUND_S:.0f}s"
        except Exception as exc:  # the run's failure is an outcome, not a test error
            return f"failed: {type(exc).__name__}: {exc}"
        return f"done, {len(report.mismatches)} mismatches"

    return asyncio.run(run())
