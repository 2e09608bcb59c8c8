"""Webhooks off: the watcher alone feeds 20 sessions, and every one stops at its budget
(our stop, before Monta's hard caps) and settles with the right capture; the overshoot past
the kWh budget grows only by the polling interval.

Time in the bound is emulated time. At TIME_SCALE S a wall second of worker latency is S
emulated seconds, so the sessions' stop latency setting is sized for this machine at this
scale (a few wall seconds: a poll tick, the signal, the local stop), and the safety margin
leaves room for the fast polling interval and one meter reading on top of it.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.reconciliation.wiring import ensure_watchers
from settings import Settings
from tests.support.acquirer import acquirer_emulator
from tests.support.monta_emulator import monta_emulator
from tests.watcher.inproc import (
    chargepay_workers,
    make_operator,
    make_settings,
    start_paid_session,
)
from workflows.contracts import SessionStatus
from workflows.watcher_logic import QUERY_WATCHER_STATUS, WatcherStatus, watcher_workflow_id

SESSIONS = 20
SCALE = 20.0
AMOUNT = 300  # EUR minor: about 2.6 kWh budget at the clones of point 101 (11 kW)
POINTS = [100001 + i for i in range(SESSIONS)]
METER_S = 30.0  # the emulator's meter interval (real s), set explicitly below
STOP_LATENCY_S = 60.0  # 3 wall s at SCALE: poll tick + signal + local stop, loaded machine
MARGIN = Decimal("0.1")  # hard cap - kWh budget: about 95 s of charging at 11 kW

pytestmark = pytest.mark.timeout(240)


def minor(value: Any) -> int:
    return round(float(value) * 100)


def observed_kw(charge: dict[str, Any], scale: float) -> float:
    """Mean power from `charging` until the charger stopped, in emulated time (ground truth)."""
    began, ended = first_state_at(charge, "charging"), first_state_at(charge, "stopped")
    assert began is not None and ended is not None and ended > began, charge["states"]
    return float(charge["consumedKwh"]) * 3600 / ((ended - began) * scale)


def first_state_at(charge: dict[str, Any], state: str) -> float | None:
    return next((s["t"] for s in charge["states"] if s["state"] == state), None)


def session_facts(
    out: SessionStatus, charge: dict[str, Any], hold: dict[str, Any] | None, settings: Settings
) -> dict[str, Any]:
    """One session's stop and settlement as the emulators saw them."""
    kw = observed_kw(charge, SCALE)
    # What the budget may be overshot by: the fast polling interval, the stop latency the
    # session allows for, and one meter reading, all at the observed power.
    allowed_s = settings.watcher_fast_interval_s + STOP_LATENCY_S + METER_S
    price = minor(charge["price"])
    stops = charge["stop_requests"]
    overshoot = charge["consumedKwh"] - float(out.kwh_budget or 0)
    return {
        "session": out.session_id,
        "state": out.state,
        # Our stop: the charge went to `stopping` at the instant our stop request arrived.
        "stopped_by_us": bool(stops) and first_state_at(charge, "stopping") == stops[0],
        "kwh_cap_fired": charge["kwh_limit_crossed_at"] is not None,
        "kw": round(kw, 3),
        "overshoot_kwh": round(overshoot, 4),
        # Emulated s from the budget minus the anticipated latency until the charger stopped:
        # meter lag + polling lag + signal and stop delivery + the charger's stop delay.
        "reaction_s": round(overshoot * 3600 / kw + STOP_LATENCY_S, 1),
        "bound_kwh": round(kw * allowed_s / 3600, 4),
        "gap_to_cap_kwh": round(charge["kwhLimit"] - charge["consumedKwh"], 4),
        "expected_capture": min(price, out.authorized.amount_minor if out.authorized else 0),
        "captured": out.captured.amount_minor if out.captured else None,
        "hold_captured": hold["captured_minor"] if hold else None,
    }


def check_session(f: dict[str, Any]) -> None:
    assert f["state"] == "completed", f
    assert f["stopped_by_us"], f
    assert not f["kwh_cap_fired"] and f["gap_to_cap_kwh"] > 0, f"Monta's cap stopped it: {f}"
    assert f["overshoot_kwh"] <= f["bound_kwh"], f
    assert f["captured"] == f["expected_capture"] == f["hold_captured"], f


async def test_twenty_sessions_stop_and_settle_without_webhooks(
    temporal_env: WorkflowEnvironment, log_dir: Path
) -> None:
    env = {"MONTA_EMU_EXTRA_POINTS": str(SESSIONS), "MONTA_EMU_METER_INTERVAL_S": str(METER_S)}
    with (
        monta_emulator(log_dir, time_scale=SCALE, env=env) as emu,
        acquirer_emulator(log_dir, time_scale=SCALE) as acq,
    ):
        await emu.aset_faults(webhooks={"enabled": False})
        client = temporal_env.client
        op = make_operator("alpha", rate_limit=1000)
        settings = make_settings(emu, acq, stop_delivery_latency_s=STOP_LATENCY_S)
        cfg = {"budget_safety_margin": MARGIN}
        async with chargepay_workers(client, settings, [op]) as workers:
            await ensure_watchers(client, settings, workers.operators)
            handles = [
                await start_paid_session(client, workers, acq, op, cp, AMOUNT, **cfg)
                for cp in POINTS
            ]
            outcomes = await asyncio.gather(*(h.result() for h in handles))
            watcher = client.get_workflow_handle(watcher_workflow_id(op.key))
            wstatus = await watcher.query(QUERY_WATCHER_STATUS, result_type=WatcherStatus)
            await watcher.terminate("test over")
        truth = await emu.atruth()
        holds = {h["id"]: h for h in acq.truth()["holds"]}

    assert not truth["webhook_batches"], "webhooks were supposed to be off"
    charges = {c["partnerExternalId"]: c for c in truth["charges"]}
    ours = [r for r in truth["requests"] if r["client_id"] == "alpha-client"]
    by_op: dict[str, int] = {}
    for r in ours:
        by_op[r["operation"]] = by_op.get(r["operation"], 0) + 1
    per_session = [
        session_facts(out, charges[out.session_id], holds.get(out.authorization_id or ""), settings)
        for out in outcomes
    ]
    figures: dict[str, Any] = {
        "sessions": SESSIONS,
        "time_scale": SCALE,
        "monta_requests": len(ours),
        "monta_requests_per_session": len(ours) / SESSIONS,
        "by_operation": by_op,
        "watcher": wstatus.model_dump(mode="json"),
        "overshoot_kwh": [f["overshoot_kwh"] for f in per_session],
        "overshoot_bound_kwh": max(f["bound_kwh"] for f in per_session),
        "reaction_s": [f["reaction_s"] for f in per_session],
        "gap_to_cap_kwh": [f["gap_to_cap_kwh"] for f in per_session],
    }
    (log_dir / "watcher-webhooks-off.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
    for f in per_session:
        check_session(f)
    # The fallback costs per interval, not per session: one page read per poll for 20.
    assert wstatus.polls > 0 and wstatus.requests == wstatus.polls
    assert by_op.get("get-charge", 0) == 0, "sessions read their own charge"
