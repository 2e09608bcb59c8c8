"""The chargepay worker: `python worker.py`.

Runs the session task queue (ChargeSessionWorkflow, the watcher and reconciliation
workflows, payment activities, the local stop) and, per operator, the Monta task queue
`monta-<operator>` (that operator's Monta activities, one MontaClient each, rate-limited
server-side). At start it checks every operator's credential and scopes with Monta (a bad
credential or a missing required scope stops the worker with a clear message; a missing
optional scope is a warning) and builds the payment gateway. SIGTERM/SIGINT shut down
gracefully: pollers stop, running activities get `GRACEFUL_SHUTDOWN` to finish, clients close.
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
from temporalio.worker import Worker

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
from core.gc_freeze import freeze_startup_objects
from core.operators import Operator, OperatorConfigError, load_operators
from core.worker_options import DEFAULT_MAX_POLLERS, worker_options
from observability.wiring import WorkerObservability, setup_worker
from settings import Settings, get_settings
from workflows.session_workflows import SESSION_WORKFLOWS

log = logging.getLogger("chargepay.worker")

GRACEFUL_SHUTDOWN = timedelta(seconds=30)
# Monta or Temporal briefly unreachable at start-up must not crash-loop the worker.
STARTUP_RETRY_MAX_DELAY_S = 30.0

T = TypeVar("T")


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


def merge_specs(specs: Sequence[WorkerSpec]) -> dict[str, WorkerSpec]:
    """One WorkerSpec per task queue (several components register on the same queue)."""
    merged: dict[str, WorkerSpec] = {}
    for spec in specs:
        prev = merged.get(spec.task_queue)
        if prev is None:
            merged[spec.task_queue] = spec
            continue
        merged[spec.task_queue] = WorkerSpec(
            spec.task_queue,
            [*prev.workflows, *spec.workflows],
            [*prev.activities, *spec.activities],
            prev.max_task_queue_activities_per_second or spec.max_task_queue_activities_per_second,
        )
    return merged


def session_specs(
    settings: Settings,
    operators: Mapping[str, Operator],
    monta: Mapping[str, MontaActivities],
    payment_activities: Sequence[Callable[..., Any]],
) -> list[WorkerSpec]:
    """The session workflow, its payment activities and its local stop (one Monta
    credential per operator), and each operator's Monta queue."""
    specs = [
        WorkerSpec(
            settings.session_task_queue,
            workflows=list(SESSION_WORKFLOWS),
            activities=[*payment_activities, LocalStop(monta).stop_charge],
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
) -> list[Worker]:
    return [
        Worker(
            client,
            task_queue=queue,
            workflows=list(spec.workflows),
            activities=list(spec.activities),
            max_task_queue_activities_per_second=spec.max_task_queue_activities_per_second,
            graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
            interceptors=obs.worker_interceptors if obs else [],
            **worker_options(max_pollers, sandboxed),
        )
        for queue, spec in specs.items()
    ]


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
        payments = PaymentActivities(gateway).all()
        specs = merge_specs(
            [
                *session_specs(settings, operators, monta, payments),
                *watcher_and_reconciliation_components(settings, operators, monta, gateway, client),
            ]
        )
        for worker in build_workers(
            client, specs, obs, settings.worker_max_pollers, settings.workflow_sandbox
        ):
            await stack.enter_async_context(worker)
        await ensure_watchers(client, settings, operators)
        await ensure_reconciliation_schedules(client, settings, operators)
        if obs is not None:
            obs.start_gauges(client)
        freeze_startup_objects()
        log.info("worker running: task queues %s (time scale %s)", list(specs), settings.time_scale)
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
