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
    WorkflowHandle,
)
from temporalio.common import VersioningBehavior, WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

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
from workflows.reconciliation_models import ReconcileInput
from workflows.watcher import MontaWatcherWorkflow
from workflows.watcher_logic import WatcherConfig, watcher_workflow_id


@dataclass(frozen=True)
class WorkerSpec:
    """Part of one task queue's worker; worker.py merges the specs of a queue.

    `versioning_behavior`: what the queue's workflows do when a newer worker version becomes
    current (docs/upgrades.md); set on the worker, not on the workflow classes, so plain
    unversioned workers (tests) can still run them."""

    task_queue: str
    workflows: Sequence[type] = ()
    activities: Sequence[Callable[..., Any]] = ()
    max_task_queue_activities_per_second: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    versioning_behavior: VersioningBehavior = VersioningBehavior.UNSPECIFIED


def watcher_and_reconciliation_components(
    settings: Settings,
    operators: Mapping[str, Operator],
    monta: Mapping[str, MontaActivities],
    gateway: PaymentGateway,
    client: Client,
) -> list[WorkerSpec]:
    """Background queue: both workflows (long-running: they follow the current worker
    version), the Temporal/acquirer reads, the report writer. Each `monta-<op>` queue: the
    page reads, and the queue's server-side rate limit."""
    background = WorkerSpec(
        settings.background_task_queue,
        workflows=[MontaWatcherWorkflow, ReconciliationWorkflow],
        activities=[
            *TemporalReads(client).activities(),
            *PaymentReads(gateway).activities(),
            write_report_activity,
        ],
        versioning_behavior=VersioningBehavior.AUTO_UPGRADE,
    )
    specs = [background]
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
    """Start `watcher-<op>` unless it runs already (every worker calls this at start).

    A watcher still running on another task queue (one that chargepay's workers no longer
    serve it on, e.g. the session queue before the background queue existed) is replaced:
    that run is terminated and a new one starts here."""
    for op in operators.values():
        handle = await _start_watcher(client, settings, op)
        running = await handle.describe()
        if running.task_queue == settings.background_task_queue:
            continue
        try:
            await client.get_workflow_handle(handle.id, run_id=running.run_id).terminate(
                f"moved to task queue {settings.background_task_queue}"
            )
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:  # another worker moved it already
                raise
        await _start_watcher(client, settings, op)


async def _start_watcher(
    client: Client, settings: Settings, op: Operator
) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        MontaWatcherWorkflow.run,
        args=[watcher_config(op, settings)],
        id=watcher_workflow_id(op.key),
        task_queue=settings.background_task_queue,
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
            task_queue=settings.background_task_queue,
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
