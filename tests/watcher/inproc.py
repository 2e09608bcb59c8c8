"""chargepay's workers in-process (session queue, background queue for the watcher and
reconciliation, one rate-limited Monta queue per operator) against the real emulators, for
the watcher, rate-limit and reconciliation tests. Plain unversioned workers: the versioned
ones are tests/workflow/test_worker_versioning.py's.

Each test gets fresh operator keys (e.g. `w1a2b3`, using alpha's Monta credential), so
its `monta-<key>` queue, its rate limit and its watcher never meet another test's.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from activities.ledger.wiring import ledger_specs
from activities.monta.activities import MontaActivities
from activities.monta.client import MontaClient
from activities.payments.activities import PaymentActivities
from activities.payments.emulator_adapter import EmulatorGateway
from activities.reconciliation.wiring import WorkerSpec, watcher_and_reconciliation_components
from api.session_start import start_session
from core.money import Money
from core.operators import Operator
from ledger.db import make_engine
from ledger.migrate import upgrade as upgrade_ledger
from settings import Settings
from tests.support.acquirer import AcquirerEmulator
from tests.support.monta_emulator import ALPHA, BRAVO, MontaEmulator
from worker import merge_specs, session_specs
from workflows.contracts import SessionConfig, SessionRequest, SessionStatus
from workflows.session import ChargeSessionWorkflow

CREDENTIALS = {"alpha": (ALPHA, 1001), "bravo": (BRAVO, 2001)}


def make_operator(account: str, rate_limit: int, window_s: float = 600.0) -> Operator:
    (client_id, secret), team = CREDENTIALS[account]
    return Operator(
        key=f"{account[0]}{uuid.uuid4().hex[:7]}",
        name=f"test {account}",
        monta_client_id=client_id,
        monta_client_secret=SecretStr(secret),
        default_paying_team_id=team,
        rate_limit=rate_limit,
        rate_limit_window_s=window_s,
    )


def make_settings(monta: MontaEmulator, acq: AcquirerEmulator | None, **kw: Any) -> Settings:
    return Settings(
        time_scale=monta.time_scale,
        monta_base_url=monta.url,
        payments_base_url=acq.url if acq else "http://127.0.0.1:9",
        session_task_queue=f"sessions-{uuid.uuid4().hex[:8]}",
        background_task_queue=f"background-{uuid.uuid4().hex[:8]}",
        **kw,
    )


@dataclass
class Workers:
    settings: Settings
    operators: dict[str, Operator]
    monta: dict[str, MontaActivities]
    gateway: EmulatorGateway
    specs: list[WorkerSpec] = field(default_factory=list)

    def session_config(self, op: Operator, **kw: Any) -> SessionConfig:
        s = self.settings
        return SessionConfig(
            time_scale=s.time_scale,
            monta_task_queue=op.monta_task_queue,
            stop_delivery_latency_s=s.stop_delivery_latency_s,
            **kw,
        )


@asynccontextmanager
async def chargepay_workers(
    client: Client,
    settings: Settings,
    operators: list[Operator],
    *,
    sessions: bool = True,
    monta_queues: bool = True,
    extra_workflows: Iterable[type] = (),
) -> AsyncIterator[Workers]:
    """Run the session and background workers and/or the Monta workers until the block
    ends; `extra_workflows` run on the session queue."""
    ops = {op.key: op for op in operators}
    monta = {
        k: MontaActivities(
            MontaClient.from_operator(op, settings), settings.monta_money_unit, 300.0
        )
        for k, op in ops.items()
    }
    gateway = EmulatorGateway(settings.payments_base_url, settings.payments_timeout_s)
    # The ledger, migrated as worker.py does, in a file of this block's own.
    ledger = make_engine(f"sqlite:///{tempfile.mkdtemp(prefix='inproc-ledger-')}/ledger.sqlite3")
    upgrade_ledger(ledger)
    # What worker.py registers (its session activities, the local stop included), unversioned.
    merged = merge_specs(
        [
            *session_specs(settings, ops, monta, PaymentActivities(gateway).all()),
            *watcher_and_reconciliation_components(settings, ops, monta, gateway, client),
            *ledger_specs(settings, ledger, ops),
        ]
    )
    session = merged[settings.session_task_queue]
    merged[settings.session_task_queue] = WorkerSpec(
        session.task_queue, [*session.workflows, *extra_workflows], session.activities
    )
    async with AsyncExitStack() as stack:
        own = (settings.session_task_queue, settings.background_task_queue)
        for queue, spec in merged.items():
            is_own = queue in own
            if (is_own and not sessions) or (not is_own and not monta_queues):
                continue
            await stack.enter_async_context(
                Worker(
                    client,
                    task_queue=queue,
                    workflows=list(spec.workflows),
                    activities=list(spec.activities),
                    max_task_queue_activities_per_second=spec.max_task_queue_activities_per_second,
                    max_concurrent_activities=200,
                )
            )
        try:
            yield Workers(settings, ops, monta, gateway, list(merged.values()))
        finally:
            for acts in monta.values():
                await acts.client.aclose()
            await gateway.aclose()
            ledger.dispose()


async def start_paid_session(
    client: Client,
    workers: Workers,
    acq: AcquirerEmulator,
    op: Operator,
    charge_point_id: int,
    amount_minor: int,
    **cfg: Any,
) -> WorkflowHandle[ChargeSessionWorkflow, SessionStatus]:
    """A terminal taps a card (hold at the acquirer), then chargepay runs the session."""
    terminal = f"T{charge_point_id}"
    ref = acq.place_hold(terminal, amount_minor, "EUR")
    request = SessionRequest(
        operator=op.key,
        terminal_id=terminal,
        terminal_transaction_id=uuid.uuid4().hex[:12],
        charge_point_id=charge_point_id,
        paying_team_id=op.default_paying_team_id,
        amount=Money(amount_minor=amount_minor, currency="EUR"),
        card_brand="VISA",
        card_last4="4242",
        authorization_ref=ref,
        config=workers.session_config(op, **cfg),
    )
    return await start_session(client, request, workers.settings.session_task_queue)
