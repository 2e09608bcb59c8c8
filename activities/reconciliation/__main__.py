"""Run a reconciliation now: `python -m activities.reconciliation [--operator alpha]
[--from 2026-01-01T00:00:00Z] [--to ...] [--report-only]`.

Starts ReconciliationWorkflow on the session queue (a running worker does the work), waits,
prints the summary and the report files. Exit code 1 when any mismatch was found.
Without --from, the window is the last `CHARGEPAY_RECONCILE_WINDOW_S` up to now.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from datetime import UTC, datetime

from temporalio.client import Client

from activities.reconciliation.wiring import reconcile_input
from codec.converter import build_data_converter
from core.operators import load_operators
from settings import get_settings
from workflows.reconciliation import ReconciliationWorkflow
from workflows.reconciliation_logic import summary_markdown
from workflows.reconciliation_models import ReconcileReport


def _instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m activities.reconciliation")
    p.add_argument("--operator", action="append", help="operator key (repeat; default: all)")
    p.add_argument("--from", dest="window_from", type=_instant, help="ISO instant (UTC)")
    p.add_argument("--to", dest="window_to", type=_instant, help="ISO instant (UTC)")
    p.add_argument("--report-only", action="store_true", help="never void orphan holds")
    return p.parse_args(argv)


async def main(argv: list[str]) -> int:
    args = _args(argv)
    settings = get_settings()
    operators = load_operators(settings.operators_file)
    keys = args.operator or sorted(operators)
    unknown = [k for k in keys if k not in operators]
    if unknown:
        print(f"unknown operator(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    client = await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=build_data_converter(settings),
    )
    found = 0
    for key in keys:
        overrides: dict[str, object] = {
            "window_from": args.window_from,
            "window_to": args.window_to,
        }
        if args.report_only:
            overrides["auto_void"] = False
        report: ReconcileReport = await client.execute_workflow(
            ReconciliationWorkflow.run,
            reconcile_input(operators[key], settings, **overrides),
            id=f"reconcile-{key}-manual-{uuid.uuid4().hex[:8]}",
            task_queue=settings.background_task_queue,
        )
        print(summary_markdown(report))
        print("files:", *report.files)
        found += len(report.mismatches)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
