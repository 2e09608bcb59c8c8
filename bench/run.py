"""One benchmark run: the embedded stack with a bench seed, the phases, the results file."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import ingest, report, signal_reasons, stop_path, throughput
from bench.context import BenchContext
from bench.features import Features
from bench.load import Started
from bench.machine import git_dirty, git_sha, load_average, machine
from bench.open_phase import phase_figures, run_open_phase, session_config, session_config_of
from bench.plan import Plan
from bench.stats import latency_summary
from bench.truth import DEFINITIONS, Outcome
from bench.world import point_kinds, write_seed
from devstack.procs import free_port
from devstack.stack import Stack, StackConfig, StackPorts
from settings import Settings

RESULTS = Path(__file__).resolve().parent / "results"
WARMUP_SESSIONS = 4
# chargepay's worker and the bare workers run workflow code the same way; by default the
# bench runs both with the sandbox off (core/worker_options.py: tests keep it on).
# CHARGEPAY_WORKFLOW_SANDBOX=on in the environment measures both sides sandboxed.
SANDBOX_ENV = "CHARGEPAY_WORKFLOW_SANDBOX"


def stack_config(plan: Plan, work: Path) -> StackConfig:
    seed = write_seed(work / "bench-seed.json", plan.max_points)
    return StackConfig(
        data_dir=work,
        ports=StackPorts.free(),
        time_scale=plan.time_scale,
        headless_ui=True,
        worker_processes=plan.worker_processes,
        api_processes=plan.api_processes,
        ingress=True,
        # The bench's terminals start a phase's sessions from one key at once: the per-key
        # limit is the ingress test's subject (tests/deploy/test_ingress_stack.py), not this.
        ingress_rate="1000r/s",
        temporal_metrics_port=free_port(),
        env={"CHARGEPAY_API_START_WAIT_S": "30", "CHARGEPAY_API_RETENTION_CHECK": "off"},
        monta_env={
            "MONTA_EMU_SEED": str(seed),
            "MONTA_EMU_METER_INTERVAL_S": str(plan.meter_interval_s),
            "MONTA_EMU_WEBHOOK_INTERVAL_S": str(plan.webhook_interval_s),
        },
    )


def _phase_summary(raw: dict[str, Any], figs: dict[str, Any]) -> dict[str, Any]:
    phase = raw["phase"]
    started: list[Started] = raw["started"]
    answers = [(s.answered_at - s.sent_at) * 1000 for s in started]
    peak = raw["rss_peak"]
    load = report.load_figures(
        figs["outcomes"],
        raw["floor_ms"],
        [figs["calls"]],
        figs["monta_429"],
        figs["history_events"],
        report.rss_per_1000(raw["rss_before_mb"], peak),
    )
    return {
        "name": phase.name,
        "mix": phase.mix,
        "charge_minutes": phase.charge_minutes,
        "open_peak": peak[0] if peak else None,
        "worker_rss_mb": {"before": round(raw["rss_before_mb"], 1), "at_peak": peak and peak[1]},
        "start_failed": len(raw["start_failed"]),
        "start_answer_ms": latency_summary(answers),
        "start_seconds": round(raw["t_started"] - raw["t0"], 2),
        "loadavg": raw["loadavg"],
        "cpu": raw["cpu"],
        "loadavg_1m": "/".join(str((raw["loadavg"][k] or [None])[0]) for k in ("start", "end")),
        "wall_seconds": round(raw["t1"] - raw["t0"], 2),
        "all_final": raw["all_final"],
        "states": figs["states"],
        "reasons": figs["reasons"],
        "monta_calls": figs["calls"],
        "webhook_ingest": raw["ingest"] or {},
        "history_by_type": figs["history_by_type"],
        **({"features": figs["features"]} if figs["features"] is not None else {}),
        "stop_bursts": raw["stop_bursts"],
        "floor_probe": raw["floor_probe"],
        "monta_batch_entries": raw["monta_batch_entries"],
        "webhook_signals_per_session": signal_reasons.per_session(
            raw["signal_reasons"], len(started)
        ),
        **load,
        "stop_path": {
            **stop_path.summary(raw["stop_paths"]),
            "samples": [asdict(t) for t in raw["stop_traces"]],
        },
    }


def headline(
    kept: list[tuple[dict[str, Any], dict[str, Any]]], env: dict[str, str]
) -> dict[str, Any]:
    """The top-level figures: every phase pooled (each phase's own are under `phases`)."""
    outcomes: list[Outcome] = [o for _, f in kept for o in f["outcomes"]]
    rss = [
        r
        for raw, _ in kept
        if (r := report.rss_per_1000(raw["rss_before_mb"], raw["rss_peak"])) is not None
    ]
    load = report.load_figures(
        outcomes,
        [ms for raw, _ in kept for ms in raw["floor_ms"]],
        [f["calls"] for _, f in kept],
        sum(f["monta_429"] for _, f in kept),
        [n for _, f in kept for n in f["history_events"]],
        round(sum(rss) / len(rss), 1) if rss else None,
    )
    sessions = sum(len(raw["started"]) for raw, _ in kept)
    reasons = signal_reasons.spent([({}, raw["signal_reasons"]) for raw, _ in kept])
    per = signal_reasons.per_session(reasons, sessions)
    return {
        **load,
        "view_signals_per_session": {
            "total": round(sum(per.values()), 2),
            "by_reason": per,
            "view_max_lag_s": view_max_lag_s(env),
        },
    }


def view_max_lag_s(env: dict[str, str]) -> float:
    """CHARGEPAY_VIEW_MAX_LAG_S as the stack's processes read it (emulated seconds)."""
    default = Settings.model_fields["view_max_lag_s"].default
    return float(env.get("CHARGEPAY_VIEW_MAX_LAG_S", default))


async def warm_up(ctx: BenchContext, plan: Plan) -> None:
    """A few short sessions first: tokens, tariff cache and connections are not measured."""
    warm = Plan(
        mode="warmup",
        time_scale=plan.time_scale,
        throughput_sessions=WARMUP_SESSIONS,
        throughput_concurrency=WARMUP_SESSIONS,
        throughput_kwh=Decimal("1.2"),
    )
    await throughput.ours(ctx, warm, point_kinds()["dc"], session_config(ctx, plan), 0)


async def run_phases(ctx: BenchContext, plan: Plan) -> dict[str, Any]:
    kinds = point_kinds()
    await warm_up(ctx, plan)
    phases, kept, ingests = [], [], []
    for i, phase in enumerate(plan.open_phases, start=1):
        print(f"[bench] phase {phase.name}: {phase.sessions} sessions", flush=True)
        raw = await run_open_phase(ctx, plan, phase, i, kinds)
        figs = phase_figures(ctx, plan, raw)
        summary = _phase_summary(raw, figs)
        print(f"[bench]   {_brief(summary)}", flush=True)
        phases.append(summary)
        if raw["ingest"]:
            ingests.append(raw["ingest"])
        kept.append((raw, figs))  # the headline pools every phase
    print("[bench] throughput vs bare workflows", flush=True)
    tp = await throughput.measure(
        ctx, plan, kinds["dc"], session_config(ctx, plan), len(plan.open_phases) + 1
    )
    extra = {}
    if ctx.features is not None:
        money = [f["features"] for _, f in kept]
        extra["features"] = {**ctx.features.describe(), "passed": all(m["passed"] for m in money)}
    return {
        **headline(kept, ctx.env),
        **extra,
        "webhook_ingest": ingest.pooled(ingests),
        "throughput": tp,
        "cpu_ms_per_session": {
            "ours": tp["ours"]["cpu_ms_per_session"],
            "bare": tp["baseline"]["cpu_ms_per_session"],
        },
        "phases": phases,
    }


def _brief(s: dict[str, Any]) -> str:
    return (
        f"stop p99 {s['stop_latency_ms']['p99']} ms (floor p99 "
        f"{s['stop_latency_floor_ms']['p99']}, ratio {s['stop_latency_vs_floor']}), "
        f"ingest ratio {s['webhook_ingest'].get('ratio')}, load {s['loadavg_1m']}, "
        f"overshoot max {s['overshoot_kwh']['max']} kWh, "
        f"calls {s['monta_calls_per_session']['mean']}, states {s['states']}, "
        f"stops {s['stop_classes']}, beyond hard cap {s['beyond_hard_cap']}, "
        f"cores busy {s['cpu'].get('machine_cores_busy')} (others' {s['cpu'].get('other_cores')})"
    )


async def run(plan: Plan, out_dir: Path = RESULTS, keep: bool = False) -> dict[str, Any]:
    started = time.monotonic()
    os.environ.setdefault(SANDBOX_ENV, "off")  # inherited by the stack and the bare workers
    load_at_start = load_average()
    work = Path(tempfile.mkdtemp(prefix="chargepay-bench-"))
    config = stack_config(plan, work)
    features = None
    if plan.features:
        env = Stack(config).chargepay_env()
        features = Features.of(
            point_kinds(),
            plan.open_phases[0].charge_minutes,
            plan.max_points,
            session_config_of(env, plan),
        )
        config.env.update(features.stack_env(work))
    stack = Stack(config)
    print(f"[bench] {plan.mode}: starting the stack in {work}", flush=True)
    await asyncio.to_thread(stack.start)
    ctx = await BenchContext.connect(stack, features)
    # SIGTERM (a CI timeout, `kill`) then cancels the run like Ctrl-C, so the stack's
    # processes are stopped instead of outliving the bench.
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        figures = await run_phases(ctx, plan)
    finally:
        await ctx.aclose()
        await asyncio.to_thread(stack.stop)
    doc: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": plan.mode,
        "machine": {**machine(), "loadavg_at_start": load_at_start},
        "git_sha": git_sha(),
        "git_dirty": git_dirty(),
        "time_scale": plan.time_scale,
        "meter_interval_s": plan.meter_interval_s,
        "webhook_interval_s": plan.webhook_interval_s,
        "workflow_sandbox": os.environ[SANDBOX_ENV],
        **figures,
        "sessions_total": sum(p["sessions"] for p in figures["phases"]),
        "plan": plan.describe(),
        "definitions": DEFINITIONS,
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    doc["targets"] = report.targets(doc)
    paths = report.write(doc, out_dir)
    if plan.mode == "full":
        from bench.plot import plot

        paths += plot(doc, out_dir)
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    print("[bench] wrote " + ", ".join(str(p) for p in paths), flush=True)
    return doc
