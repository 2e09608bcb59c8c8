"""Webhooks off: the watcher alone feeds 20 sessions, and every one stops at its budget
(our stop, before Monta's hard kWh cap) and settles with the right capture."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.reconciliation.wiring import ensure_watchers
from tests.support.acquirer import acquirer_emulator
from tests.support.monta_emulator import monta_emulator
from tests.watcher.inproc import (
    NO_SELF_READS,
    chargepay_workers,
    make_operator,
    make_settings,
    start_paid_session,
)
from workflows.watcher_logic import QUERY_WATCHER_STATUS, WatcherStatus, watcher_workflow_id

SESSIONS = 20
SCALE = 60.0
AMOUNT = 300  # EUR minor: about 2.8 kWh at the clones of point 101 (11 kW)
POINTS = [100001 + i for i in range(SESSIONS)]

pytestmark = pytest.mark.timeout(240)


def minor(value: Any) -> int:
    return round(float(value) * 100)


async def test_twenty_sessions_stop_and_settle_without_webhooks(
    temporal_env: WorkflowEnvironment, log_dir: Path
) -> None:
    env = {"MONTA_EMU_EXTRA_POINTS": str(SESSIONS)}
    with (
        monta_emulator(log_dir, time_scale=SCALE, env=env) as emu,
        acquirer_emulator(log_dir, time_scale=SCALE) as acq,
    ):
        await emu.aset_faults(webhooks={"enabled": False})
        client = temporal_env.client
        op = make_operator("alpha", rate_limit=1000)
        settings = make_settings(emu, acq)
        async with chargepay_workers(client, settings, [op]) as workers:
            await ensure_watchers(client, settings, workers.operators)
            handles = [
                await start_paid_session(client, workers, acq, op, cp, AMOUNT, **NO_SELF_READS)
                for cp in POINTS
            ]
            outcomes = await asyncio.gather(*(h.result() for h in handles))
            watcher = client.get_workflow_handle(watcher_workflow_id(op.key))
            wstatus = await watcher.query(QUERY_WATCHER_STATUS, result_type=WatcherStatus)
            await watcher.terminate("test over")
        truth = await emu.atruth()
        holds = {h["id"]: h for h in acq.truth()["holds"]}

    charges = {c["partnerExternalId"]: c for c in truth["charges"]}
    assert not truth["webhook_batches"], "webhooks were supposed to be off"
    ours = [r for r in truth["requests"] if r["client_id"] == "alpha-client"]
    by_op: dict[str, int] = {}
    for r in ours:
        by_op[r["operation"]] = by_op.get(r["operation"], 0) + 1
    figures: dict[str, Any] = {
        "sessions": SESSIONS,
        "monta_requests": len(ours),
        "monta_requests_per_session": len(ours) / SESSIONS,
        "by_operation": by_op,
        "watcher": wstatus.model_dump(mode="json"),
        "overshoot_kwh": [],
    }
    for out in outcomes:
        assert out.state == "completed", out
        charge = charges[out.session_id]
        # Our stop, sent because the watcher's snapshots showed the budget reached:
        assert charge["stop_requests"], f"{out.session_id} was never stopped by us"
        assert charge["kwh_limit_crossed_at"] is None, "Monta's hard cap had to stop it"
        hold = holds[out.authorization_id] if out.authorization_id else None
        price = minor(charge["price"])
        assert out.captured is not None and out.authorized is not None
        assert out.captured.amount_minor == min(price, out.authorized.amount_minor)
        if hold is not None:
            assert hold["captured_minor"] == out.captured.amount_minor
        assert out.kwh_budget is not None
        figures["overshoot_kwh"].append(round(charge["consumedKwh"] - float(out.kwh_budget), 4))
    # The fallback costs per interval, not per session: one page read per poll for 20.
    assert wstatus.polls > 0 and wstatus.requests == wstatus.polls
    assert by_op.get("get-charge", 0) == 0, "sessions read their own charge"
    (log_dir / "watcher-webhooks-off.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
