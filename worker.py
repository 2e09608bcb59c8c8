"""The chargepay worker: `python worker.py`.

Runs the session task queue (ChargeSessionWorkflow and its hold claims, payment
activities, the local stop), the background task queue (the watcher and reconciliation
workflows and their reads) and, per operator, the Monta task queue `monta-<operator>` (that
operator's Monta activities, one MontaClient each, rate-limited server-side). At start it
checks every operator's credential and scopes with Monta (a bad credential or a missing
required scope stops the worker with a clear message; a missing optional scope is a
warning) and builds the payment gateway.

Every worker runs as this checkout's Worker Deployment Version (docs/upgrades.md): sessions
and hold claims are pinned to the version that started them, the watcher and
reconciliation move to the current version. Unless `CHARGEPAY_WORKER_MAKE_CURRENT` is off,
a new version makes itself current once its queues poll (an error stops the worker). The
build id defaults to a digest of the workflow code (`VERSIONED_WORKFLOWS`' modules and the
repo modules they import, core/code_digest.py): a release that changes workflow code is a
new version, one that changes only activities, the API or configuration keeps it, so its
workers simply replace the old ones; every process of one checkout computes the same id.

SIGTERM/SIGINT shut down gracefully: pollers stop, running activities get
`GRACEFUL_SHUTDOWN` to finish, clients close.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import Worker, WorkerDeploymentConfig

from activities.ledger.activities import LedgerActivities
from activities.monta.activities import MontaActivities
from activities.monta.errors import MontaError, MontaScopeError
from activities.monta.factory import build_monta_activities
from activities.monta.scopes import check_consumer
from activities.monta.stop_local import LocalStop
from activities.payments.activities import PaymentActivities
from activities.payments.factory import build_gateway
from activities.reconciliation.wiring import (
    WorkerSpec,
    ensure_reconciliation_schedules,
    ensure_watchers,
    watcher_and_reconciliation_components,
)
from codec.converter import build_data_converter
from core import event_loop
from core.code_digest import code_digest
from core.gc_freeze import freeze_startup_objects
from core.operators import Operator, OperatorConfigError, load_operators
from core.worker_deployment import DeploymentError, TakeOver, TemporalUnreachable, take_over
from core.worker_options import DEFAULT_MAX_POLLERS, worker_options
from ledger.db import make_engine
from ledger.migrate import upgrade as upgrade_ledger
from observability.wiring import WorkerObservability, setup_worker
from settings import Settings, get_settings
from workflows.reconciliation import ReconciliationWorkflow
from workflows.session_workflows import SESSION_WORKFLOWS
from workflows.watcher import MontaWatcherWorkflow

log = logging.getLogger("chargepay.worker")

GRACEFUL_SHUTDOWN = timedelta(seconds=30)
# Monta or Temporal briefly unreachable at start-up must not crash-loop the worker.
STARTUP_RETRY_MAX_DELAY_S = 30.0

T = TypeVar("T")

# The workflow code a worker version stands for (its build id digests their modules).
VERSIONED_WORKFLOWS: tuple[type, ...] = (
    *SESSION_WORKFLOWS,
    MontaWatcherWorkflow,
    ReconciliationWorkflow,
)


class StartupError(RuntimeError):
    """The worker cannot run: the message says what to fix."""


async def retry_transient(
    what: str,
    call: Callable[[], Awaitable[T]],
    transient: tuple[type[BaseException], ...],
    stop: asyncio.Event,
    permanent: tuple[type[BaseException], ...] = (),
) -> T:
    """Retry `call` with capped exponential backoff while it fails transiently."""
    delay = 0.5
    while True:
        try:
            return await call()
        except transient as exc:
            if isinstance(exc, permanent):
                raise
            if stop.is_set():
                raise StartupError(f"{what}: gave up on shutdown: {exc}") from exc
            log.warning("%s failed (%s); retrying in %.1f s", what, exc, delay)
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
            except TimeoutError:
                pass
            delay = min(delay * 2, STARTUP_RETRY_MAX_DELAY_S)


async def check_operators(
    monta: Mapping[str, MontaActivities], stop: asyncio.Event | None = None
) -> None:
    """GET /consumers/me per operator: raise on bad credentials / required scopes, warn else.

    Monta being unreachable (5xx, 429, transport) is retried: only a definite answer about
    the credential stops the worker.
    """
    stop = stop or asyncio.Event()
    for key, acts in monta.items():
        try:
            warnings = await retry_transient(
                f"operator {key!r}: scope check",
                partial(check_consumer, acts.client, key),
                (MontaError,),
                stop,
                permanent=(MontaScopeError,),
            )
        except MontaScopeError as exc:
            raise StartupError(str(exc)) from exc
        for warning in warnings:
            log.warning("%s", warning)


def workflow_code_build_id() -> str:
    return code_digest(cls.__module__ for cls in VERSIONED_WORKFLOWS)


def deployment_version(settings: Settings) -> WorkerDeploymentVersion:
    """`<deployment name>.<build id>`: the same in every process of one checkout."""
    return WorkerDeploymentVersion(
        deployment_name=settings.worker_deployment_name,
        build_id=settings.worker_build_id or workflow_code_build_id(),
    )


def merge_specs(specs: Sequence[WorkerSpec]) -> dict[str, WorkerSpec]:
    """One WorkerSpec per task queue (several components register on the same queue)."""
    merged: dict[str, WorkerSpec] = {}
    unspecified = VersioningBehavior.UNSPECIFIED
    for spec in specs:
        prev = merged.get(spec.task_queue)
        if prev is None:
            merged[spec.task_queue] = spec
            continue
        behaviors = {prev.versioning_behavior, spec.versioning_behavior} - {unspecified}
        if len(behaviors) > 1:
            raise ValueError(f"task queue {spec.task_queue}: conflicting versioning behaviours")
        merged[spec.task_queue] = WorkerSpec(
            spec.task_queue,
            [*prev.workflows, *spec.workflows],
            [*prev.activities, *spec.activities],
            prev.max_task_queue_activities_per_second or spec.max_task_queue_activities_per_second,
            versioning_behavior=behaviors.pop() if behaviors else unspecified,
        )
    return merged


def session_specs(
    settings: Settings,
    operators: Mapping[str, Operator],
    monta: Mapping[str, MontaActivities],
    payment_activities: Sequence[Callable[..., Any]],
) -> list[WorkerSpec]:
    """The session workflow and its hold claims (pinned: a session and its claim finish on
    the worker version that started them), its payment activities and its local stop (one
    Monta credential per operator), and each operator's Monta queue."""
    specs = [
        WorkerSpec(
            settings.session_task_queue,
            workflows=list(SESSION_WORKFLOWS),
            activities=[*payment_activities, LocalStop(monta).stop_charge],
            versioning_behavior=VersioningBehavior.PINNED,
        )
    ]
    for key, operator in operators.items():
        specs.append(
            WorkerSpec(operator.monta_task_queue, activities=list(monta[key].activities()))
        )
    return specs


def build_workers(
    client: Client,
    specs: Mapping[str, WorkerSpec],
    obs: WorkerObservability | None,
    max_pollers: int = DEFAULT_MAX_POLLERS,
    sandboxed: bool = True,
    version: WorkerDeploymentVersion | None = None,
) -> list[Worker]:
    """One worker per task queue. With a `version`, all of them are that deployment version,
    each queue's workflows with its spec's versioning behaviour (activities a pinned session
    schedules on a Monta queue then run on its own version's workers); without, plain
    unversioned workers."""
    return [
        Worker(
            client,
            task_queue=queue,
            workflows=list(spec.workflows),
            activities=list(spec.activities),
            max_task_queue_activities_per_second=spec.max_task_queue_activities_per_second,
            graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
            interceptors=obs.worker_interceptors if obs else [],
            deployment_config=(
                WorkerDeploymentConfig(
                    version=version,
                    use_worker_versioning=True,
                    default_versioning_behavior=spec.versioning_behavior,
                )
                if version
                else None
            ),
            **worker_options(max_pollers, sandboxed),
        )
        for queue, spec in specs.items()
    ]


async def start_version(
    client: Client, settings: Settings, version: WorkerDeploymentVersion, stop: asyncio.Event
) -> bool:
    """Make this worker's version current if it should be; False when another version
    replaced it (it then only finishes its own sessions)."""
    name = version.to_canonical_string()
    if not settings.worker_make_current:
        log.info("version %s polling; new sessions go to it once promoted", name)
        return True
    try:
        # Temporal restarting at the worker's start must not crash-loop it.
        outcome = await retry_transient(
            f"make version {name} current",
            lambda: take_over(client, version, stop=stop),
            (TemporalUnreachable,),
            stop,
        )
    except DeploymentError as exc:
        raise StartupError(f"cannot make version {name} current: {exc}") from exc
    if outcome is TakeOver.REPLACED:
        log.warning(
            "version %s was replaced by a newer one: finishing its sessions only "
            "(roll back with `python -m worker_version promote`)",
            name,
        )
        return False
    log.info("version %s is current (%s)", name, outcome.value)
    return True


async def run(settings: Settings, stop: asyncio.Event, obs: WorkerObservability | None) -> None:
    try:
        operators = load_operators(settings.operators_file)
    except OperatorConfigError as exc:
        raise StartupError(str(exc)) from exc
    async with AsyncExitStack() as stack:
        monta = {key: build_monta_activities(op, settings) for key, op in operators.items()}
        for acts in monta.values():
            stack.push_async_callback(acts.client.aclose)
        await check_operators(monta, stop)
        gateway = build_gateway(settings)
        stack.push_async_callback(gateway.aclose)
        client = await retry_transient(
            f"connect to Temporal at {settings.temporal_address}",
            lambda: Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                data_converter=build_data_converter(),
                runtime=obs.runtime if obs else None,
                interceptors=obs.client_interceptors if obs else [],
            ),
            (RuntimeError, OSError),
            stop,
        )
        # The ledger is migrated before any session can write to it (idempotent, locked).
        ledger = make_engine(settings.ledger_url)
        stack.callback(ledger.dispose)
        await asyncio.to_thread(upgrade_ledger, ledger)
        payments = [*PaymentActivities(gateway).all(), *LedgerActivities(ledger, operators).all()]
        specs = merge_specs(
            [
                *session_specs(settings, operators, monta, payments),
                *watcher_and_reconciliation_components(settings, operators, monta, gateway, client),
            ]
        )
        version = deployment_version(settings)
        for worker in build_workers(
            client, specs, obs, settings.worker_max_pollers, settings.workflow_sandbox, version
        ):
            await stack.enter_async_context(worker)
        if await start_version(client, settings, version, stop):
            await ensure_watchers(client, settings, operators)
            await ensure_reconciliation_schedules(client, settings, operators)
        if obs is not None:
            obs.start_gauges(client)
        freeze_startup_objects()
        log.info(
            "worker running: version %s, task queues %s (time scale %s)",
            version.to_canonical_string(),
            list(specs),
            settings.time_scale,
        )
        await stop.wait()
        log.info("shutting down: waiting for running activities")


def main() -> int:
    obs = setup_worker("worker")
    settings = get_settings()

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run(settings, stop, obs)

    try:
        event_loop.run(_main())
    except StartupError as exc:
        log.error("cannot start: %s", exc)
        return 2
    finally:
        obs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
