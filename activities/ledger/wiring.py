"""Which queues the ledger's activities run on (worker.py and the in-process test workers
register the same): the session's writes on the session queue, reconciliation's read on
the background queue."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine

from activities.ledger.activities import LedgerActivities
from activities.reconciliation.ledger_reads import LedgerReads
from activities.reconciliation.wiring import WorkerSpec
from core.operators import Operator
from settings import Settings


def ledger_specs(
    settings: Settings, engine: Engine, operators: Mapping[str, Operator]
) -> list[WorkerSpec]:
    return [
        WorkerSpec(
            settings.session_task_queue,
            activities=list(LedgerActivities(engine, operators).all()),
        ),
        WorkerSpec(
            settings.background_task_queue, activities=list(LedgerReads(engine).activities())
        ),
    ]
