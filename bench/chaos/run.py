"""One chaos run end to end: stack up, terminals and fault driver in parallel, faults off,
wait for every session to be final (bounded), read the ground truth, judge, report."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client

from api.keys import create_key
from bench.chaos import idle, increments
from bench.chaos import temporal_view as tv
from bench.chaos.checks import Session, Verdict, verdict
from bench.chaos.driver import FaultDriver
from bench.chaos.eventlog import EventLog
from bench.chaos.params import ChaosParams
from bench.chaos.plan import TERMINALS_PER_OPERATOR, SessionPlan, build_plan, charge_points_of
from bench.chaos.reconcile import reconcile_once
from bench.chaos.report import RESULTS, build_report, summary, write_report
from bench.chaos.schedule import build_schedule
from bench.chaos.terminal import TerminalContext, TerminalRecord, run_terminal
from devstack.envfile import REPO
from devstack.ingress import nginx_binary
from devstack.stack import Stack, StackConfig, StackPorts

OPERATORS = ("alpha", "bravo")
MONEY_UNIT = "major"  # the emulator's default and chargepay's .env.example
SETTLE_AFTER_FINAL_S = 3.0  # Monta completes a voided session's charge shortly after


def stack_config(params: ChaosParams, data_dir: Path) -> StackConfig:
    """Two APIs and two workers behind nginx, as compose runs them (the driver kills one
    replica of each kind); CHAOS_SHAPE=single runs one API and one worker without an
    ingress. The report names the shape."""
    ingress = os.environ.get("CHAOS_SHAPE", "production") != "single"
    if ingress and nginx_binary() is None:
        raise SystemExit(
            "the chaos run's production shape needs nginx (Debian's package: apt-get install "
            "nginx); CHAOS_SHAPE=single runs one API and one worker without it"
        )
    return StackConfig(
        data_dir=data_dir,
        ports=StackPorts.free(),
        time_scale=params.time_scale,
        headless_ui=True,
        api_processes=2 if ingress else 1,
        worker_processes=2 if ingress else 1,
        ingress=ingress,
        # The terminals poll their sessions' status: the per-key limit is the ingress test's
        # subject (tests/deploy/test_ingress_stack.py), not this run's.
        ingress_rate="1000r/s",
        monta_env={
            "MONTA_EMU_EXTRA_POINTS": str(params.sessions),
            "MONTA_EMU_SEED_RNG": str(params.seed),
        },
        payments_env={"PAYMENTS_EMU_SEED_RNG": str(params.seed)},
        # Scheduled reconciliation may report but not void during the run (see reconcile.py).
        env=_env(params, data_dir),
    )


def _env(params: ChaosParams, data_dir: Path) -> dict[str, str]:
    env = {
        "CHARGEPAY_RECONCILE_AUTO_VOID": "false",
        **increments.stack_env(data_dir, params.time_scale),  # CHAOS_INCREMENTS=on
    }
    # CHAOS_IDLE=on: its idle tables join the operators file increments wrote, if any.
    return env | idle.stack_env(data_dir, params.sessions, env)


def _shape(stack: Stack) -> str:
    c = stack.config
    ingress = "behind nginx" if c.ingress else "no ingress"
    grows = ", increments on" if increments.enabled() else ""
    grows += ", idle fees on" if idle.enabled() else ""
    return f"{c.api_processes} API, {c.worker_processes} workers, {ingress}{grows}"


def new_data_dir(root: Path, seed: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"chaos-{seed}-", dir=root))


def provision_keys(stack: Stack, sessions: int) -> dict[tuple[str, str], str]:
    keys = {}
    for op in OPERATORS:
        points = charge_points_of(op, sessions)
        for i in range(TERMINALS_PER_OPERATOR):
            terminal = f"CHAOS{i:02d}"
            keys[(op, terminal)] = create_key(stack.config.keys_file, op, terminal, points)[1]
    return keys


async def _truth(http: httpx.AsyncClient, url: str) -> Any:
    resp = await http.get(f"{url}/_emulator/truth", timeout=60.0)
    resp.raise_for_status()
    return json.loads(resp.text, parse_float=Decimal)


def fault_counts(log: EventLog, counters: dict[str, Any], webhook_dropped: int) -> dict[str, Any]:
    monta: Counter[str] = Counter()
    for key, n in (counters.get("monta") or {}).items():
        monta[f"monta_{key.rsplit(':', 1)[-1]}"] += int(n)
    acquirer: Counter[str] = Counter()
    for rule in (counters.get("acquirer") or {}).get("rules", []):
        acquirer[f"acquirer_{rule['kind']}"] += int(rule.get("fired", 0))
    planned = ("kill_worker", "kill_api", "restart_temporal", "burst_429", "webhook_blackout_on")
    return {
        **{k: log.counts.get(k, 0) for k in planned},
        "unexpected_exit": log.counts.get("unexpected_exit", 0),
        "driver_error": log.counts.get("driver_error", 0),
        **dict(sorted(monta.items())),
        "monta_by_operation": counters.get("monta") or {},
        "webhook_entries_dropped": webhook_dropped,
        **dict(sorted(acquirer.items())),
    }


def to_sessions(records: list[TerminalRecord], views: dict[str, tv.SessionView]) -> list[Session]:
    out = []
    for rec in records:
        sid = rec.plan.session_id
        v = views.get(sid) or tv.SessionView(sid, exists=False)
        st = v.status
        out.append(
            Session(
                session_id=sid,
                hold_ref=rec.hold_ref,
                got_session_id=rec.got_session_id,
                exists=v.exists,
                final=v.final,
                state=st.state if st else v.workflow_status,
                attention=st.attention if st else None,
            )
        )
    return out


def _write_sessions(
    path: Path, records: list[TerminalRecord], views: dict[str, tv.SessionView]
) -> None:
    with path.open("w", encoding="utf-8") as f:
        for rec in records:
            view = views.get(rec.plan.session_id)
            row = {**rec.public(), "temporal": view.public() if view else None}
            f.write(json.dumps(row, default=str) + "\n")


@dataclass
class Observed:
    records: list[TerminalRecord]
    views: dict[str, tv.SessionView]
    monta: Any
    acquirer: Any
    reconciliation: dict[str, Any]
    faults_stopped_s: float


async def _wait_sessions(
    client: Client, plans: list[SessionPlan], deadline: float, log: EventLog
) -> dict[str, tv.SessionView]:
    ids = [p.session_id for p in plans]
    views = await tv.wait_final(client, ids, deadline)
    pending = [sid for sid in ids if sid not in views or not views[sid].final]
    for v in await tv.views(client, pending, query_running=True):
        views[v.session_id] = v
    log.write("sessions_checked", not_final=len(pending))
    return views


async def _observe(
    stack: Stack, params: ChaosParams, plans: list[SessionPlan], log: EventLog, began: datetime
) -> tuple[Observed, FaultDriver]:
    keys = provision_keys(stack, params.sessions)
    async with (
        httpx.AsyncClient(base_url=stack.api_url) as api,
        httpx.AsyncClient(timeout=10.0) as control,
    ):
        driver = FaultDriver(stack, log, control)
        give_up = time.monotonic() + params.fault_window_s + params.stuck_deadline_s
        ctx = TerminalContext(
            api, control, stack.monta_url, stack.payments_url, keys, log, give_up,
            params.terminal_timeout_s,
        )  # fmt: skip
        stop_watchdog = asyncio.Event()
        watchdog = asyncio.create_task(driver.watchdog(stop_watchdog))
        terminals = [asyncio.create_task(run_terminal(ctx, p)) for p in plans]
        await driver.play(build_schedule(params))
        faults_stopped = log.elapsed()
        deadline = time.monotonic() + params.stuck_deadline_s
        log.write("faults_stopped", deadline_s=params.stuck_deadline_s)
        records = list(await asyncio.gather(*terminals))
        client = await tv.connect(stack.temporal_address)
        views = await _wait_sessions(client, plans, deadline, log)
        await asyncio.sleep(SETTLE_AFTER_FINAL_S)
        # Ground truth first: nothing chargepay's reconciliation does can change it.
        monta = await _truth(control, stack.monta_url)
        acquirer = await _truth(control, stack.payments_url)
        stop_watchdog.set()
        await watchdog
        recon = await reconcile_once(
            client, OPERATORS, stack.config.background_task_queue, began, params.time_scale,
            stack.config.data_dir / "reconciliation",
        )  # fmt: skip
        log.write("reconciliation", result=recon)
    observed = Observed(records, views, monta, acquirer, recon, faults_stopped)
    return observed, driver


async def run(
    params: ChaosParams,
    keep_data: bool = False,
    results: Path = RESULTS,
    data_root: Path = REPO / ".data",
) -> dict[str, Any]:
    began = time.monotonic()
    began_at = datetime.now(UTC)
    plans = idle.with_stays(
        build_plan(params.seed, params.sessions, params.launch_window_s), params.seed
    )
    data_dir = new_data_dir(data_root, params.seed)
    stack = Stack(stack_config(params, data_dir))
    await asyncio.to_thread(stack.start)
    log = EventLog(results / f"{params.stem}.log")
    log.write("run_start", params=params.describe(), data_dir=str(data_dir), shape=_shape(stack))
    log.write("schedule", events=[asdict(e) for e in build_schedule(params)])
    try:
        seen, driver = await _observe(stack, params, plans, log, began_at)
    finally:
        await asyncio.to_thread(stack.stop)
        log.write("stack_stopped")
    records, views = seen.records, seen.views
    sessions = to_sessions(records, views)
    idle_setup = idle.setup(params.sessions, params.time_scale)
    charges, holds = seen.monta["charges"], seen.acquirer["holds"]
    result: Verdict = verdict(sessions, charges, holds, MONEY_UNIT, idle_setup)
    dropped = int(seen.monta.get("webhook_dropped", 0))
    faults = fault_counts(log, driver.emulator_counters, dropped)
    faults["terminal_retries"] = sum(max(r.attempts - 1, 0) for r in records)
    extra = {
        "outcomes": dict(Counter(s.state or "missing" for s in sessions)),
        "kinds": dict(Counter(p.kind for p in plans)),
        "terminal_answers": dict(Counter(str(r.answer) for r in records)),
        "faults_stopped_at_s": round(seen.faults_stopped_s, 1),
        "increments_applied": increments.applied(holds),
        "idle_fees": idle.summary(charges, idle_setup),
        "shape": _shape(stack),
        "reconciliation": seen.reconciliation,
        "logs": {
            "faults": str(log.path),
            "sessions": str(results / f"{params.stem}-sessions.jsonl"),
        },
        "data_dir": str(data_dir) if (keep_data or not result.passed) else None,
    }
    _write_sessions(results / f"{params.stem}-sessions.jsonl", records, views)
    report = build_report(params, result, faults, time.monotonic() - began, extra)
    write_report(report, params.stem, results)
    log.write("verdict", passed=result.passed, figures=result.figures)
    log.close()
    if result.passed and not keep_data:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(summary(report), flush=True)
    return report
