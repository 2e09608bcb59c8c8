"""Run one reconciliation for a test: the window from `since` to just after now, no grace
(every open hold is judged at once), the report written under `report_dir`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client

from activities.reconciliation.wiring import reconcile_input
from core.operators import Operator
from settings import Settings
from workflows.reconciliation import ReconciliationWorkflow
from workflows.reconciliation_models import ReconcileReport


async def reconcile(
    client: Client,
    op: Operator,
    settings: Settings,
    since: datetime,
    report_dir: Path,
    **overrides: Any,
) -> ReconcileReport:
    until = datetime.now(UTC) + timedelta(seconds=2)
    inp = reconcile_input(
        op,
        settings,
        **{
            "window_from": since,
            "window_to": until,
            "hold_grace_s": 0,
            "report_dir": str(report_dir),
            **overrides,
        },
    )
    return await client.execute_workflow(
        ReconciliationWorkflow.run,
        inp,
        id=f"reconcile-{op.key}-{uuid.uuid4().hex[:6]}",
        task_queue=settings.background_task_queue,
    )
