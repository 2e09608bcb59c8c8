"""What worker.py registers for the watcher and reconciliation, and the idempotent start-up
steps (one watcher per credential, one reconciliation schedule each)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.common import WorkflowIDConflictPolicy

from activities.monta.activities import MontaActivities
from activities.payments.protocol import PaymentGateway
from activities.reconciliation.monta_pages import MontaPageActivities
from activities.reconciliation.payments_reads import PaymentReads
from activities.reconciliation.rate_budget import monta_queue_rate
from activities.reconciliation.report_files import write_report_activity
from activities.reconciliation.temporal_reads import TemporalReads
from core.operators import Operator
from settings import Settings
from workflows.reconciliation import ReconciliationWorkflow
from workflows.reconciliation_logic import ReconcileInput
from workflows.watcher import MontaWatcherWorkflow
from workflows.watcher_logic import WatcherConfig, watcher_workflow_id


@dataclass(frozen=True)
class WorkerSpec:
    """Part of one task queue's worker; worker.py merges the specs of a queue."""

    task_queue: str
    workflows: Sequence[type] = ()
    activities: Sequence[Callable[..., Any]] = ()
    max_task_queue_activities_per_second: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def watcher_and_reconciliation_components(
    settings: Settings,
    operators: Mapping[str, Operator],
    monta: Mapping[str, MontaActivities],
    gateway: PaymentGateway,
    client: Client,
) -> list[WorkerSpec]:
    """Session queue: both workflows, the Temporal/acquirer reads, the report writer.
    Each `monta-<op>` queue: the page reads, and the queue's server-side rate limit."""
    session = WorkerSpec(
        settings.session_task_queue,
        workflows=[MontaWatcherWorkflow, ReconciliationWorkflow],
        activities=[
            *TemporalReads(client).activities(),
            *PaymentReads(gateway).activities(),
            write_report_activity,
        ],
    )
    specs = [session]
    for key, op in operators.items():
        pages = MontaPageActivities(monta[key].client, settings.monta_money_unit)
        specs.append(
            WorkerSpec(
                op.monta_task_queue,
                activities=pages.activities(),
                max_task_queue_activities_per_second=monta_queue_rate(op, settings),
            )
        )
    return specs


def watcher_config(op: Operator, settings: Settings) -> WatcherConfig:
    return WatcherConfig(
        operator=op.key,
        monta_task_queue=op.monta_task_queue,
        time_scale=settings.time_scale,
        interval_s=settings.watcher_interval_s,
        fast_interval_s=settings.watcher_fast_interval_s,
        slow_interval_s=settings.watcher_slow_interval_s,
        overlap_s=settings.watcher_overlap_s,
        webhook_silence_s=settings.watcher_webhook_silence_s,
        near_budget_ratio=settings.watcher_near_budget_ratio,
        webhook_band_ratio=settings.webhook_near_cap_ratio,
        start_timeout_s=settings.start_timeout_s,
        max_pages=settings.watcher_max_pages,
    )


def reconcile_input(op: Operator, settings: Settings, **overrides: Any) -> ReconcileInput:
    fields: dict[str, Any] = {
        "operator": op.key,
        "monta_task_queue": op.monta_task_queue,
        "window_s": settings.reconcile_window_s,
        "time_scale": settings.time_scale,
        "auto_void": settings.reconcile_auto_void,
        "hold_grace_s": settings.reconcile_hold_grace_s,
        "report_dir": str(settings.reconcile_report_dir.resolve()),
    }
    return ReconcileInput(**{**fields, **overrides})


async def ensure_watchers(
    client: Client, settings: Settings, operators: Mapping[str, Operator]
) -> None:
    """Start `watcher-<op>` unless it runs already (every worker calls this at start)."""
    for op in operators.values():
        await client.start_workflow(
            MontaWatcherWorkflow.run,
            args=[watcher_config(op, settings)],
            id=watcher_workflow_id(op.key),
            task_queue=settings.session_task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )


def reconcile_schedule_id(operator: str) -> str:
    return f"reconcile-{operator}"


def _schedule(op: Operator, settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ReconciliationWorkflow.run,
            reconcile_input(op, settings),
            id=reconcile_schedule_id(op.key),
            task_queue=settings.session_task_queue,
        ),
        spec=ScheduleSpec(
            intervals=[
                ScheduleIntervalSpec(
                    every=timedelta(
                        seconds=settings.clock.wall_seconds(settings.reconcile_interval_s)
                    )
                )
            ]
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_reconciliation_schedules(
    client: Client, settings: Settings, operators: Mapping[str, Operator]
) -> None:
    """Create each operator's schedule, or bring an existing one to the current settings."""
    for op in operators.values():
        schedule = _schedule(op, settings)
        try:
            await client.create_schedule(reconcile_schedule_id(op.key), schedule)
        except ScheduleAlreadyRunningError:

            def update(_: ScheduleUpdateInput, s: Schedule = schedule) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=s)

            await client.get_schedule_handle(reconcile_schedule_id(op.key)).update(update)
