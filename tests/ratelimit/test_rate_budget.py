"""One budget per credential, held by the server-side rate limit of `monta-<operator>`:
3 worker processes never exceed Monta's quota in any window (0 x 429); a stop, a local
activity, does not queue behind 200+ waiting polls and starts; two operators' budgets
are separate."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.monta.client import MontaClient
from activities.monta.models import GenericPaymentSession, StartChargeRequest
from activities.reconciliation.rate_budget import monta_queue_rate, queue_share
from core.operators import Operator
from settings import Settings
from tests.ratelimit.load import LoadInput, MontaLoadWorkflow, StopperWorkflow
from tests.ratelimit.support import (
    full_windows,
    monta_worker_processes,
    per_window,
    requests_of,
)
from tests.support.monta_emulator import MontaEmulator, monta_emulator
from tests.watcher.inproc import chargepay_workers, make_operator, make_settings
from workflows import contracts as c

SCALE = 60.0
WINDOW_S = 600.0
WINDOW_WALL = WINDOW_S / SCALE  # 10 s on the wall
QUOTA = 60
BUDGET_ENV = {"CHARGEPAY_MONTA_RATE_HEADROOM": "0.2", "CHARGEPAY_MONTA_STOP_RESERVE": "8"}
EMU_ENV = {"MONTA_EMU_RATE_LIMIT": str(QUOTA), "MONTA_EMU_RATE_WINDOW_S": str(WINDOW_S)}
# More requests than three windows can hold at the quota: if no window exceeds it, they
# touch at least four windows, so the two between the first and the last are full, however
# fast or slow the machine. (At the queue's share, 40 per window, this takes ~45 s.)
LOAD = 3 * QUOTA + 1
LOAD_STARTS = 60

pytestmark = pytest.mark.timeout(240)


async def run_load(client: Client, op: Operator, polls: int, starts: int) -> Any:
    queue = f"load-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[MontaLoadWorkflow]):
        return await client.execute_workflow(
            MontaLoadWorkflow.run,
            LoadInput(operator=op.key, task_queue=op.monta_task_queue, polls=polls, starts=starts),
            id=f"load-{op.key}-{uuid.uuid4().hex[:6]}",
            task_queue=queue,
        )


def test_queue_rate_arithmetic() -> None:
    op = make_operator("alpha", rate_limit=1000)
    s = Settings(time_scale=1.0, monta_rate_headroom=0.2, monta_stop_reserve=100)
    assert queue_share(op, s) == 700  # 1000 x 0.8 - 100 stops
    assert monta_queue_rate(op, s) == pytest.approx(700 / 600)
    assert monta_queue_rate(op, s.model_copy(update={"time_scale": 60.0})) == pytest.approx(70)
    with pytest.raises(ValueError):
        queue_share(op, Settings(monta_rate_headroom=0.5, monta_stop_reserve=600))


async def test_three_worker_processes_stay_within_the_quota(
    temporal_env: WorkflowEnvironment, log_dir: Path
) -> None:
    with monta_emulator(log_dir, time_scale=SCALE, env=EMU_ENV) as emu:
        op = make_operator("alpha", rate_limit=QUOTA, window_s=WINDOW_S)
        env = {"TIME_SCALE": str(SCALE), "CHARGEPAY_MONTA_BASE_URL": emu.url, **BUDGET_ENV}
        target = temporal_env.client.service_client.config.target_host
        with monta_worker_processes(3, target, op, env, log_dir):
            result = await run_load(
                temporal_env.client, op, polls=LOAD - LOAD_STARTS, starts=LOAD_STARTS
            )
        truth = await emu.atruth()
    reqs = requests_of(truth, "alpha-client")
    windows = per_window(reqs, WINDOW_WALL)
    full = full_windows(reqs, WINDOW_WALL)
    figures = {"per_window": windows, "full_windows": full, "quota": QUOTA, "load": LOAD}
    print(json.dumps(figures))
    (log_dir / "ratelimit-3-workers.json").write_text(json.dumps(figures, indent=2))
    assert max(windows.values()) <= QUOTA, figures
    assert [r for r in reqs if r["status"] == 429] == []
    assert len(full) >= 2, figures
    # Every call went out (the starts are refused by the offline point, as planned).
    assert result.ok == LOAD - LOAD_STARTS and result.failed == LOAD_STARTS
    assert len([r for r in reqs if r["operation"] in ("get-charges", "start-charge")]) == LOAD


async def _start_charge(emu: MontaEmulator, op: Operator, settings: Settings) -> int:
    async with MontaClient.from_operator(op, settings) as monta:
        charge = await monta.start_charge(
            StartChargeRequest(
                paying_team_id=op.default_paying_team_id,
                charge_point_id=101 if op.monta_client_id == "alpha-client" else 201,
                kwh_limit=50,
                partner_external_id=f"session-{op.key}-stopme",
                generic_payment_session=GenericPaymentSession(
                    provider="chargepay", external_id="S"
                ),
            )
        )
    return charge.id


async def test_a_stop_does_not_queue_behind_polls_and_starts(
    temporal_env: WorkflowEnvironment, log_dir: Path
) -> None:
    client = temporal_env.client
    with monta_emulator(log_dir, time_scale=SCALE, env=EMU_ENV) as emu:
        op = make_operator("alpha", rate_limit=QUOTA, window_s=WINDOW_S)
        settings = make_settings(emu, None, monta_rate_headroom=0.2, monta_stop_reserve=8)
        charge_id = await _start_charge(emu, op, settings)
        async with chargepay_workers(
            client, settings, [op], extra_workflows=[MontaLoadWorkflow, StopperWorkflow]
        ):
            stopper = await client.start_workflow(
                StopperWorkflow.run,
                c.ChargeRef(operator=op.key, charge_id=charge_id),
                id=f"stopper-{op.key}",
                task_queue=settings.session_task_queue,
            )
            load = await client.start_workflow(
                MontaLoadWorkflow.run,
                LoadInput(operator=op.key, task_queue=op.monta_task_queue, polls=160, starts=60),
                id=f"load-{op.key}",
                task_queue=settings.session_task_queue,
            )
            await _wait_requests(emu, "get-charges", 3)  # the queue is draining at its rate
            sent_at = time.time()
            await stopper.signal("stop")
            await stopper.result()
            await load.terminate("test over")
        truth = await emu.atruth()
    stop_at = next(ch for ch in truth["charges"] if ch["id"] == charge_id)["stop_requests"][0]
    load_ops = ("get-charges", "start-charge")
    reqs = [r for r in requests_of(truth, "alpha-client") if r["operation"] in load_ops]
    waiting = 220 - len([r for r in reqs if r["t"] <= stop_at]) + 1  # the load's own start
    figures = {"stop_latency_s": stop_at - sent_at, "waiting_when_stopped": waiting}
    print(json.dumps(figures))
    (log_dir / "ratelimit-stop-priority.json").write_text(json.dumps(figures, indent=2))
    assert waiting >= 200, figures
    assert stop_at - sent_at < 1.0, figures


async def _wait_requests(emu: MontaEmulator, operation: str, n: int) -> None:
    """Until the emulator saw `n` such requests (the test timeout bounds a broken run)."""
    for _ in range(10_000):
        truth = await emu.atruth()
        if len([r for r in truth["requests"] if r["operation"] == operation]) >= n:
            return
        await asyncio.sleep(0.1)


async def test_two_operators_budgets_are_separate(
    temporal_env: WorkflowEnvironment, log_dir: Path
) -> None:
    """alpha's queue is saturated; bravo's calls still run at bravo's own rate."""
    client = temporal_env.client
    with monta_emulator(log_dir, time_scale=SCALE, env=EMU_ENV) as emu:
        alpha = make_operator("alpha", rate_limit=QUOTA, window_s=WINDOW_S)
        bravo = make_operator("bravo", rate_limit=QUOTA, window_s=WINDOW_S)
        settings = make_settings(emu, None, monta_rate_headroom=0.2, monta_stop_reserve=8)
        async with chargepay_workers(
            client, settings, [alpha, bravo], extra_workflows=[MontaLoadWorkflow]
        ):
            flood = await client.start_workflow(
                MontaLoadWorkflow.run,
                LoadInput(
                    operator=alpha.key, task_queue=alpha.monta_task_queue, polls=200, starts=0
                ),
                id=f"load-{alpha.key}",
                task_queue=settings.session_task_queue,
            )
            await _wait_requests(emu, "get-charges", 3)
            bravo_result = await run_load(client, bravo, polls=20, starts=0)
            await flood.terminate("test over")
        truth = await emu.atruth()
    a_reqs, b_reqs = requests_of(truth, "alpha-client"), requests_of(truth, "bravo-client")
    b_end = max(r["t"] for r in b_reqs)
    alpha_done_by_then = len([r for r in a_reqs if r["t"] <= b_end])
    figures = {"bravo_ok": bravo_result.ok, "alpha_done_when_bravo_finished": alpha_done_by_then}
    print(json.dumps(figures))
    assert bravo_result.ok == 20
    assert alpha_done_by_then < 200, "alpha's backlog had drained: the test proved nothing"
    for reqs in (a_reqs, b_reqs):
        assert max(per_window(reqs, WINDOW_WALL).values()) <= QUOTA
        assert [r for r in reqs if r["status"] == 429] == []
