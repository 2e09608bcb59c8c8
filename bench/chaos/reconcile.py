"""After the verdict: run chargepay's own reconciliation once per operator (report only) and
keep its findings next to, never instead of, the ground-truth figures.

During the run the stack's scheduled reconciliation is told not to void
(`CHARGEPAY_RECONCILE_AUTO_VOID=false`), and checks.py counts any hold voided by
reconciliation (idempotency key `reconcile/...`) as open anyway.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.exceptions import TimeoutError as TimeoutFailure

from workflows.reconciliation_models import RECONCILIATION_WORKFLOW, ReconcileInput, ReconcileReport

# Long enough for a few hundred sessions; a worker without the workflow never answers.
TIMEOUT = timedelta(seconds=60)


async def reconcile_once(
    client: Client,
    operators: tuple[str, ...],
    task_queue: str,
    since: datetime,
    time_scale: float,
    report_dir: Path,
) -> dict[str, Any]:
    out: dict[str, Any] = {"ran": True, "auto_void": False, "operators": {}}
    until = datetime.now(since.tzinfo)
    for op in operators:
        inp = ReconcileInput(
            operator=op,
            monta_task_queue=f"monta-{op}",
            window_from=since,
            window_to=until,
            time_scale=time_scale,
            auto_void=False,
            hold_grace_s=0.0,
            report_dir=str(report_dir),
        )
        try:
            report = await client.execute_workflow(
                RECONCILIATION_WORKFLOW,
                inp,
                id=f"chaos-reconcile-{op}-{int(until.timestamp())}",
                task_queue=task_queue,
                execution_timeout=TIMEOUT,
                result_type=ReconcileReport,
            )
        except Exception as exc:  # not registered in this worker, or it failed: say so
            cause = getattr(exc, "cause", None) or exc.__cause__ or exc
            out["operators"][op] = {"error": f"{exc!r}: {cause!r}"[:500]}
            if isinstance(cause, TimeoutError | TimeoutFailure):
                out["ran"] = False  # no worker runs it: don't wait once per operator
                break
            continue
        out["operators"][op] = {
            "charges": report.charges,
            "sessions": report.sessions,
            "holds": report.holds,
            "mismatches_by_kind": dict(Counter(m.kind for m in report.mismatches)),
            "mismatches": [m.model_dump(mode="json") for m in report.mismatches[:50]],
        }
    return out
