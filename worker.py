"""The chargepay worker: `python worker.py`.

Runs the session task queue (ChargeSessionWorkflow + payment activities) and, per operator,
the Monta task queue `monta-<operator>` (that operator's Monta activities, one MontaClient
each). At start it checks every operator's credential and scopes with Monta (a bad
credential or a missing required scope stops the worker with a clear message; a missing
optional scope is a warning) and builds the payment gateway. SIGTERM/SIGINT shut down
gracefully: pollers stop, running activities finish, clients close.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities.monta.activities import MontaActivities
from activities.monta.client import MontaClient
from activities.monta.errors import MontaError, MontaScopeError
from activities.monta.scopes import check_consumer
from activities.payments.activities import PaymentActivities
from activities.payments.factory import build_gateway
from codec.converter import build_data_converter
from core.operators import Operator, OperatorConfigError, load_operators
from settings import Settings, get_settings
from workflows.session import ChargeSessionWorkflow

log = logging.getLogger("chargepay.worker")

# How long a charge point's tariff is reused before Monta is asked again (wall seconds).
TARIFF_CACHE_S = 300.0
GRACEFUL_SHUTDOWN_S = 30.0


class StartupError(RuntimeError):
    """The worker cannot run: the message says what to fix."""


async def check_operators(clients: dict[str, MontaClient]) -> None:
    """GET /consumers/me for each operator: raise on bad credentials, warn on scopes."""
    for key, client in clients.items():
        try:
            for warning in await check_consumer(client, key):
                log.warning("%s", warning)
        except MontaScopeError as exc:
            raise StartupError(str(exc)) from exc
        except MontaError as exc:
            raise StartupError(
                f"operator {key!r}: cannot reach Monta to check scopes: {exc}"
            ) from exc


def build_workers(
    client: Client,
    settings: Settings,
    operators: dict[str, Operator],
    monta_clients: dict[str, MontaClient],
    payment_activities: Sequence[Any],
) -> list[Worker]:
    workers = [
        Worker(
            client,
            task_queue=settings.session_task_queue,
            workflows=[ChargeSessionWorkflow],
            activities=list(payment_activities),
            graceful_shutdown_timeout=_seconds(GRACEFUL_SHUTDOWN_S),
        )
    ]
    for key, operator in operators.items():
        monta = MontaActivities(monta_clients[key], settings.monta_money_unit, TARIFF_CACHE_S)
        workers.append(
            Worker(
                client,
                task_queue=operator.monta_task_queue,
                activities=list(monta.activities()),
                graceful_shutdown_timeout=_seconds(GRACEFUL_SHUTDOWN_S),
            )
        )
    return workers


def _seconds(s: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=s)


async def run(settings: Settings, stop: asyncio.Event) -> None:
    try:
        operators = load_operators(settings.operators_file)
    except OperatorConfigError as exc:
        raise StartupError(str(exc)) from exc
    async with AsyncExitStack() as stack:
        monta_clients: dict[str, MontaClient] = {}
        for key, operator in operators.items():
            monta_clients[key] = MontaClient.from_operator(operator, settings)
            stack.push_async_callback(monta_clients[key].aclose)
        await check_operators(monta_clients)
        gateway = build_gateway(settings)
        if hasattr(gateway, "aclose"):
            stack.push_async_callback(gateway.aclose)
        client = await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=build_data_converter(),
        )
        workers = build_workers(
            client, settings, operators, monta_clients, PaymentActivities(gateway).all()
        )
        for worker in workers:
            await stack.enter_async_context(worker)
        queues = [settings.session_task_queue, *(o.monta_task_queue for o in operators.values())]
        log.info("worker running: task queues %s (time scale %s)", queues, settings.time_scale)
        await stop.wait()
        log.info("shutting down")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run(settings, stop)

    try:
        asyncio.run(_main())
    except StartupError as exc:
        log.error("cannot start: %s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
