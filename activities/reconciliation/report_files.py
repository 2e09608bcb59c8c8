"""Write a reconciliation report as JSON (everything) and CSV (one row per mismatch), and
count its mismatches by kind for the `ReconciliationMismatch` alert (workflow code cannot
touch metrics: it replays)."""

from __future__ import annotations

import csv
from pathlib import Path

from temporalio import activity

from observability import metrics as m
from workflows.reconciliation_logic import CSV_FIELDS
from workflows.reconciliation_models import RECONCILE_WRITE_REPORT, ReconcileReport


def report_stem(report: ReconcileReport) -> str:
    return f"reconcile-{report.operator}-{report.window_to:%Y%m%dT%H%M%S%fZ}"


def write_report(report: ReconcileReport, report_dir: Path) -> list[str]:
    report_dir.mkdir(parents=True, exist_ok=True)
    stem = report_dir / report_stem(report)
    json_path, csv_path = stem.with_suffix(".json"), stem.with_suffix(".csv")
    json_path.write_text(report.model_dump_json(indent=2))
    with csv_path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for m in report.mismatches:
            writer.writerow(m.model_dump(include=set(CSV_FIELDS)))
    return [str(json_path), str(csv_path)]


@activity.defn(name=RECONCILE_WRITE_REPORT)
async def write_report_activity(report: ReconcileReport, report_dir: str) -> list[str]:
    files = write_report(report, Path(report_dir))
    # Counted once the report is on disk; a retried write may count twice, which the alert
    # (any increase) tolerates.
    for mismatch in report.mismatches:
        m.RECONCILIATION_MISMATCHES.labels(mismatch.kind).inc()
    return files
