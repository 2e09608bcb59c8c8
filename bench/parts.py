"""The full run's parts (`python -m bench --full [--only PART]`): memory slope, capacity
ramp, recovery after a SIGKILL, the 1x run and repeats of the quick shape. Each part runs
on a fresh stack and returns its keys for the results file."""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench import fit, report
from bench import run as quick_run
from bench.cohort import (
    PLUG_DELAY_S,
    Cohort,
    Running,
    Sampler,
    Scale,
    close_stack,
    cpu_window,
    key_for,
    open_stack,
    outcomes,
    read_schedule_to_start,
    schedule_to_start_p99_ms,
    start_cohort,
    wait_final,
    warm_up,
)
from bench.context import BenchContext
from bench.fleet import OPERATORS_MAX, operators_needed
from bench.load import Planned, Started, StartFailed, gather_bounded, start_session
from bench.machine import load_average
from bench.open_phase import phase_figures, run_open_phase, session_config
from bench.plan import quick
from bench.world import hold_for_kwh, kwh_for_minutes, point_kinds
from devstack.stack import Stack

# Monta calls while a session starts (start-charge, then the payment on it) and once more at
# its stop: the start phase asks ~2 per start, the stop window ~2 per stop (stop, settle).
CALLS_PER_START = 3.0
# chargepay spends at most (1 - 20 % headroom) x 1000 - 100 reserved stops of a credential's
# window on its Monta queue (activities/reconciliation/rate_budget.py): fleets are sized so.
FLEET_QUOTA_SHARE = 0.7
START_RATE_GUESS = 12.0  # sessions/s the first step plans with; later steps use the measured
LATE_STOP_MS = 2000.0
BUDGET_REASONS = ("kwh_budget", "price_budget")
SANDBOX_PRODUCTION = "on"  # core/worker_options.py: the production default

Progress = Callable[[str], None]


def say(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def _latency(outs: dict[str, Any]) -> dict[str, Any]:
    return report.load_figures(outs["outcomes"], [], [outs["calls"]], outs["monta_429"], [], None)


# ------------------------------------------------------------------ rss_mb_per_1000_open
RSS_OPEN = 1000
RSS_SCALE = Scale(time_scale=6.0)


async def rss_ramp(sandbox: str) -> dict[str, Any]:
    ops = operators_needed(
        CALLS_PER_START * START_RATE_GUESS, RSS_SCALE.time_scale, share=FLEET_QUOTA_SHARE
    )
    r = await open_stack(RSS_SCALE, ops, math.ceil(RSS_OPEN / ops), sandbox)
    try:
        # Charges far longer than the ramp: no session stops while memory is sampled. A
        # first session per operator loads what every later one shares (code, clients,
        # tokens, connections); the fit starts after them.
        warm = await start_cohort(r, "rsw", 2 * ops, "dc", lambda i, now: 3600.0, 2.0)
        await asyncio.sleep(5)
        sampler = Sampler(r, lambda: r.terminals).start()
        await asyncio.sleep(4)
        load0 = load_average()
        cohort = await start_cohort(
            r, "rss", RSS_OPEN, "ac", lambda i, now: 3600.0, START_RATE_GUESS
        )
        await asyncio.sleep(10)  # the last starts' first readings
        await sampler.stop()
        pts = [(float(n), w) for _, n, w, _, _ in sampler.samples]
        b = fit.slope(pts)
        first, last = sampler.samples[0], sampler.samples[-1]
        return {
            "mb_per_1000_open": None if b is None else round(b * 1000, 1),
            "r_squared": None if (r2 := fit.r_squared(pts)) is None else round(r2, 3),
            "samples": len(pts),
            "open_peak": sampler.peak_open(),
            "warm_up_sessions": len(warm.started),
            "start_failed": len(cohort.failed) + len(warm.failed),
            "start_failures": cohort.failures(),
            "start_rate_per_s": cohort.start_rate,
            "worker_rss_mb": {"fresh": round(first[2], 1), "end": round(last[2], 1)},
            "api_rss_mb": {"fresh": round(first[3], 1), "end": round(last[3], 1)},
            "temporal_rss_mb": {"fresh": round(first[4], 1), "end": round(last[4], 1)},
            "workflow_cache": {"per_worker_process": 1000, "worker_processes": 2},
            "operators": ops,
            "loadavg": {"start": load0, "end": load_average()},
        }
    finally:
        await close_stack(r)


async def part_rss() -> dict[str, Any]:
    on = await rss_ramp("on")
    off = await rss_ramp("off")
    return {
        "rss_mb_per_1000_open": {
            "sandbox_on": on["mb_per_1000_open"],
            "sandbox_off": off["mb_per_1000_open"],
            "ramps": {"sandbox_on": on, "sandbox_off": off},
            "scale": RSS_SCALE.describe(),
            "open": RSS_OPEN,
        }
    }


# ------------------------------------------------------------------ capacity
CAPACITY_STEPS: tuple[int, ...] = (1000, 2000, 5000, 10000)
# Meter readings per second the whole machine sees at every step (open x scale / interval):
# the time scale falls as the step grows so the event rate stays the same.
READINGS_PER_S = 100.0
HOLD_S = 30.0  # every session open at once for at least this long
GRACE_S = 240.0


def capacity_scale(n: int) -> Scale:
    return Scale(time_scale=round(min(30.0, READINGS_PER_S * 60.0 / n), 3))


def step_estimate_s(n: int, rate: float) -> float:
    """Wall time of a step: starts, the hold, a stop window as long as the starts, setup."""
    return 2 * n / rate + HOLD_S + 90.0


def held(step: dict[str, Any]) -> list[str]:
    """What failed at a step (empty: the step held)."""
    n = step["open_target"]
    out = []
    if step["open_peak"] < n:
        out.append(f"open peak {step['open_peak']} < {n}")
    if step["start_failed"]:
        out.append(f"{step['start_failed']} starts failed")
    if not step["all_final"]:
        out.append("sessions still open at the deadline")
    if step["beyond_hard_cap"]:
        out.append(f"{step['beyond_hard_cap']} beyond the hard cap")
    # chargepay's own stops end a session for its kWh or its price budget; anything else
    # (Monta's hard cap, no energy, unfinished) is a session chargepay did not stop.
    not_budget = sum(v for k, v in step["reasons"].items() if k not in BUDGET_REASONS)
    if not_budget:
        out.append(f"{not_budget} sessions not stopped by chargepay at budget")
    if step["uncollected_minor_total"]:
        out.append(f"uncollected {step['uncollected_minor_total']}")
    if step["monta_429"]:
        out.append(f"{step['monta_429']} x 429 from Monta")
    p99 = step["stop_latency_ms"]["p99"]
    if p99 is None or p99 > LATE_STOP_MS:
        out.append(f"stop p99 {p99} ms > {LATE_STOP_MS:.0f} ms")
    return out


async def capacity_step(n: int, rate: float) -> dict[str, Any]:
    scale = capacity_scale(n)
    ops = min(
        OPERATORS_MAX,
        operators_needed(CALLS_PER_START * rate, scale.time_scale, share=FLEET_QUOTA_SHARE),
    )
    r = await open_stack(scale, ops, math.ceil(n / ops), SANDBOX_PRODUCTION)
    try:
        warm = await warm_up(r)
        tag = f"c{n}"
        t0 = time.time()
        window = n / rate
        plan_end = t0 + window + HOLD_S

        # Session i crosses its budget at plan_end + (i / n) * window: all open at plan_end,
        # then stops at the start rate.
        def charge(i: int, now: float) -> float:
            return plan_end + (i / n) * window - now

        load0 = load_average()
        cpu = cpu_window(r)
        s2s0 = await read_schedule_to_start(r.ctx.http, r.ctx.stack.temporal_metrics_url)
        sampler = Sampler(r, lambda: r.terminals_of(tag)).start()
        cohort = await start_cohort(r, tag, n, "ac", charge, rate)
        say(f"capacity {n}: started {len(cohort.started)} at {cohort.start_rate}/s")
        final = await wait_final(r, r.terminals_of(tag), plan_end + window + GRACE_S)
        await sampler.stop()
        cpu_fig = cpu.close()
        s2s1 = await read_schedule_to_start(r.ctx.http, r.ctx.stack.temporal_metrics_url)
        load1 = load_average()
        outs = await outcomes(r, cohort)
        lat = _latency(outs)
        step = {
            "open_target": n,
            "open_peak": sampler.peak_open(),
            "at_peak": sampler.at_peak(),
            "operators": ops,
            "warm_up_sessions": len(warm.started),
            "scale": scale.describe(),
            "planned_start_rate_per_s": round(rate, 2),
            "start_rate_per_s": cohort.start_rate,
            "start_failed": len(cohort.failed),
            "start_failures": cohort.failures(),
            "all_final": final,
            "states": outs["states"],
            "reasons": outs["reasons"],
            "stop_latency_ms": lat["stop_latency_ms"],
            "stop_latency_from_meter_ms": lat["stop_latency_from_meter_ms"],
            "stop_classes": lat["stop_classes"],
            "beyond_hard_cap": lat["beyond_hard_cap"],
            "overshoot_kwh": lat["overshoot_kwh"],
            "uncollected_minor_total": lat["uncollected_minor_total"],
            "monta_calls_per_session": lat["monta_calls_per_session"],
            "monta_429": lat["monta_429"],
            "workflow_task_schedule_to_start_p99_ms": schedule_to_start_p99_ms(s2s0, s2s1),
            "cpu": cpu_fig,
            "loadavg": {"start": load0, "end": load1},
            "wall_s": round(time.time() - t0, 1),
            "workflow_cache_total": 2000,
        }
        step["failed"] = held(step)
        step["held"] = not step["failed"]
        return step
    finally:
        await close_stack(r)


async def part_capacity(budget_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + budget_s
    rate = START_RATE_GUESS
    steps: list[dict[str, Any]] = []
    first_limit: dict[str, Any] | None = None
    for n in CAPACITY_STEPS:
        left = deadline - time.monotonic()
        if step_estimate_s(n, rate) > left:
            first_limit = {
                "what": "time budget of the run",
                "evidence": f"step {n} needs ~{step_estimate_s(n, rate):.0f} s at "
                f"{rate:.1f} starts/s, {left:.0f} s were left",
                "step": n,
            }
            break
        say(f"capacity step {n} open at {rate:.1f} starts/s")
        step = await capacity_step(n, rate)
        say(f"  held {step['held']} {step['failed']} stop p99 {step['stop_latency_ms']['p99']}")
        steps.append(step)
        if not step["held"]:
            first_limit = {"what": "; ".join(step["failed"]), "step": n, "evidence": step}
            break
        measured = step["start_rate_per_s"] or rate
        rate = max(2.0, 0.85 * measured)  # plan the next step's stop window on what was seen
    held_steps = [s["open_target"] for s in steps if s["held"]]
    return {
        "capacity": {
            "max_open_held": max(held_steps, default=0),
            "first_limit": first_limit,
            "steps": steps,
            "readings_per_s": READINGS_PER_S,
            "sandbox": SANDBOX_PRODUCTION,
        }
    }


# ------------------------------------------------------------------ recovery_s
RECOVERY_OPEN = 500
RECOVERY_SCALE = Scale(time_scale=15.0)
STOP_WINDOW_S = 90.0
KILL_INTO_WINDOW_S = 15.0
CONTROL_BEFORE_WINDOW_S = 12.0


async def timelines(ctx: BenchContext, started: list[Started]) -> list[fit.Timeline]:
    from temporalio.api.enums.v1 import EventType

    closed_types = {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    }

    async def one(sid: str) -> fit.Timeline:
        h = await ctx.temporal.get_workflow_handle(sid).fetch_history()
        sig, done, closed = [], [], None
        for e in h.events:
            t = e.event_time.ToDatetime().timestamp()
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
                sig.append(t)
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                done.append(t)
            elif e.event_type in closed_types:
                closed = t
        return fit.Timeline(sid, tuple(sig), tuple(done), closed)

    return await gather_bounded(16, [partial(one, s.session_id) for s in started])


def kill(stack: Stack, name: str) -> int:
    """SIGKILL one process of the stack; it is dropped from the stack (not restarted)."""
    proc = stack.procs.pop(name)
    assert proc.popen is not None
    os.kill(proc.popen.pid, signal.SIGKILL)
    proc.popen.wait(10)
    return proc.popen.pid


async def recovery_run(victim: str) -> dict[str, Any]:
    ops = operators_needed(
        CALLS_PER_START * START_RATE_GUESS, RECOVERY_SCALE.time_scale, share=FLEET_QUOTA_SHARE
    )
    r = await open_stack(RECOVERY_SCALE, ops, math.ceil(RECOVERY_OPEN / ops), SANDBOX_PRODUCTION)
    try:
        await warm_up(r)
        tag = f"r{victim}"
        t0 = time.time()
        plan_end = t0 + RECOVERY_OPEN / START_RATE_GUESS + HOLD_S

        def charge(i: int, now: float) -> float:
            return plan_end + (i / RECOVERY_OPEN) * STOP_WINDOW_S - now

        load0 = load_average()
        cohort = await start_cohort(r, tag, RECOVERY_OPEN, "ac", charge, START_RATE_GUESS)
        t_control = plan_end - CONTROL_BEFORE_WINDOW_S
        t_kill = plan_end + KILL_INTO_WINDOW_S
        await asyncio.sleep(max(0.0, t_kill - time.time()))
        name = r.ctx.stack.worker_names[-1] if victim == "worker" else r.ctx.stack.api_names[-1]
        t_kill = time.time()
        kill(r.ctx.stack, name)
        say(f"recovery: SIGKILL {name}")
        final = await wait_final(r, r.terminals_of(tag), plan_end + STOP_WINDOW_S + GRACE_S)
        load1 = load_average()
        tls = await timelines(r.ctx, cohort.started)
        outs = await outcomes(r, cohort)
        lat = _latency(outs)
        late = [
            o.stop_latency_ms for o in outs["outcomes"]
            if o.stop_latency_ms is not None and o.stop_latency_ms > LATE_STOP_MS
        ]  # fmt: skip
        after = fit.recovery(tls, t_kill)
        control = fit.recovery(tls, t_control)
        return {
            "killed": name,
            "recovery_s": after["recovery_s"],
            "after_kill": after,
            # The same figure at an instant of the same run with no kill: what the reading
            # cadence alone takes (a session waits for its next reading).
            "control_no_kill": control,
            "open_at_kill": after["open"],
            "stops_later_than_2s": len(late),
            "stop_latency_ms": lat["stop_latency_ms"],
            "stop_classes": lat["stop_classes"],
            "overshoot_kwh": lat["overshoot_kwh"],
            "beyond_hard_cap": lat["beyond_hard_cap"],
            "uncollected_minor_total": lat["uncollected_minor_total"],
            "start_failed": len(cohort.failed),
            "start_failures": cohort.failures(),
            "all_final": final,
            "states": outs["states"],
            "reasons": outs["reasons"],
            "operators": ops,
            "loadavg": {"start": load0, "end": load1},
        }
    finally:
        await close_stack(r)


async def part_recovery() -> dict[str, Any]:
    worker = await recovery_run("worker")
    api = await recovery_run("api")
    return {
        "recovery_s": {
            "worker_sigkill": worker["recovery_s"],
            "api_replica_sigkill": api["recovery_s"],
            "runs": {"worker": worker, "api_replica": api},
            "open": RECOVERY_OPEN,
            "scale": RECOVERY_SCALE.describe(),
        }
    }


# ------------------------------------------------------------------ one_x
ONE_X = Scale(time_scale=1.0, meter_interval_s=60.0, webhook_interval_s=2.0)
CALIBRATE_S = 120.0
CALIBRATE_RATE = 0.15
# The check starts sessions for a whole quota window, so the window it is judged on is full.
CHECK_S = 600.0
# AC (11 kW) charges of six minutes, just above the smallest budget chargepay accepts (1
# kWh). At 50 kW DC a 60 s meter interval moves 0.8 kWh between readings, and Monta's
# hard cap ends a 1 kWh charge before any reading crosses chargepay's stop line.
ONE_X_KIND = "ac"
ONE_X_CHARGE_S = 360.0
QUOTA_LIMIT, QUOTA_WINDOW_S = 1000, 600.0
START_STOP_SETTLE = {"start-charge": "start", "stop-charge": "stop", "patch-charge": "settle"}


async def start_paced(
    r: Running, tag: str, rate: float, seconds: float, charge_s: float, first: int = 0
) -> Cohort:
    """Sessions at `rate` per second for `seconds`, each charging `charge_s` (wall)."""
    k = point_kinds()[ONE_X_KIND]
    config = session_config(r.ctx, r.plan())
    minutes = max(charge_s * r.scale.time_scale - PLUG_DELAY_S, 30.0) / 60
    amount = hold_for_kwh(kwh_for_minutes(k, minutes), k.tariff, config)
    n = max(1, int(rate * seconds))
    terminal, key = key_for(r, tag, 0)
    t0 = time.time()

    async def one(i: int) -> Started | StartFailed:
        await asyncio.sleep(max(0.0, t0 + i / rate - time.time()))
        p = Planned(i, ONE_X_KIND, r.fleet.point_id(0, ONE_X_KIND, first + i), amount)
        return await start_session(r.ctx, terminal, key, f"{tag}x", p)

    results = await asyncio.gather(*(one(i) for i in range(n)))
    return Cohort.of(tag, list(results), t0)


def quota_share(requests: list[dict[str, Any]]) -> dict[str, Any]:
    by: dict[str, int] = {}
    for q in requests:
        role = START_STOP_SETTLE.get(str(q.get("operation")), "other")
        by[role] = by.get(role, 0) + 1
    total = sum(by.values())
    core = total - by.get("other", 0)
    return {"calls": by, "start_stop_settle_share": round(core / total, 3) if total else None}


async def part_one_x() -> dict[str, Any]:
    n_points = int(CALIBRATE_RATE * CALIBRATE_S) + int(2 * CHECK_S) + 10
    r = await open_stack(ONE_X, 1, n_points, SANDBOX_PRODUCTION)
    try:
        load0 = load_average()
        t_a = time.time()
        cal = await start_paced(r, "xa", CALIBRATE_RATE, CALIBRATE_S, ONE_X_CHARGE_S)
        await wait_final(r, r.terminals, time.time() + ONE_X_CHARGE_S + GRACE_S)
        t_a1 = time.time()
        outs_a = await outcomes(r, cal)
        reqs_a = [q for q in outs_a["requests"] if t_a <= float(q["t"]) <= t_a1]
        own = outs_a["calls"]["own_mean"] or 0.0
        shared_per_s = (len(reqs_a) - outs_a["calls"]["own"]) / (t_a1 - t_a)
        rate = fit.sustainable_rate(own, shared_per_s, QUOTA_LIMIT, QUOTA_WINDOW_S)
        say(f"one_x: own {own} calls/session, shared {shared_per_s:.3f}/s -> {rate}/s")
        check: dict[str, Any] = {}
        if rate:
            t_b = time.time()
            # The check's points follow the calibration's on the one operator.
            chk = await start_paced(
                r, "xb", rate, CHECK_S, ONE_X_CHARGE_S, first=len(cal.started) + len(cal.failed)
            )
            await wait_final(r, r.terminals, time.time() + ONE_X_CHARGE_S + GRACE_S)
            outs_b = await outcomes(r, chk)
            reqs_b = [q for q in outs_b["requests"] if float(q["t"]) >= t_b]
            lat = _latency({**outs_b, "calls": outs_b["calls"]})
            times = [float(q["t"]) for q in outs_b["requests"]]
            check = {
                "rate_per_s": round(rate, 4),
                "sessions": len(chk.started),
                "start_failed": len(chk.failed),
                "start_failures": chk.failures(),
                "monta_429": sum(1 for q in reqs_b if int(q.get("status", 0)) == 429),
                "max_calls_in_any_600s": fit.max_in_window(times, QUOTA_WINDOW_S),
                "quota_use_peak": round(fit.max_in_window(times, QUOTA_WINDOW_S) / QUOTA_LIMIT, 3),
                **quota_share(reqs_b),
                "stop_latency_ms": lat["stop_latency_ms"],
                "stop_latency_from_meter_ms": lat["stop_latency_from_meter_ms"],
                "stop_classes": lat["stop_classes"],
                "beyond_hard_cap": lat["beyond_hard_cap"],
                "states": outs_b["states"],
                "seconds": round(time.time() - t_b, 1),
            }
        return {
            "one_x": {
                "scale": ONE_X.describe(),
                "quota": {"limit": QUOTA_LIMIT, "window_s": QUOTA_WINDOW_S, "planned_share": 0.9},
                "calibration": {
                    "rate_per_s": CALIBRATE_RATE,
                    "sessions": len(cal.started),
                    "calls_per_session": outs_a["calls"],
                    "own_calls_per_session": own,
                    "shared_calls_per_s": round(shared_per_s, 4),
                    "shared_calls_per_meter_interval": round(
                        shared_per_s * ONE_X.meter_interval_s, 2
                    ),
                    **quota_share(reqs_a),
                },
                "sustainable_rate_per_credential_per_s": None if rate is None else round(rate, 4),
                "sustainable_sessions_per_credential_per_hour": (
                    None if rate is None else round(rate * 3600, 1)
                ),
                "check": check,
                "charge_wall_s": ONE_X_CHARGE_S,
                "kind": ONE_X_KIND,
                "loadavg": {"start": load0, "end": load_average()},
            }
        }
    finally:
        await close_stack(r)


# ------------------------------------------------------------------ repeats
REPEATS = 5


def shrink() -> None:
    """`--smoke`: every part at a small size, to check the harness (no figure means much)."""
    global RSS_OPEN, CAPACITY_STEPS, RECOVERY_OPEN, CALIBRATE_S, CHECK_S, REPEATS
    global STOP_WINDOW_S, ONE_X_CHARGE_S, CALIBRATE_RATE
    RSS_OPEN, CAPACITY_STEPS, RECOVERY_OPEN = 60, (40, 80), 40
    CALIBRATE_S, CHECK_S, CALIBRATE_RATE, ONE_X_CHARGE_S = 30.0, 30.0, 0.3, 90.0
    REPEATS, STOP_WINDOW_S = 2, 30.0


async def part_repeats() -> dict[str, Any]:
    n = REPEATS
    plan = quick()
    os.environ.setdefault(quick_run.SANDBOX_ENV, "off")
    work = Path(tempfile.mkdtemp(prefix="chargepay-bench-repeats-"))
    stack = Stack(quick_run.stack_config(plan, work))
    await asyncio.to_thread(stack.start)
    ctx = await BenchContext.connect(stack)
    kinds = point_kinds()
    runs = []
    try:
        await quick_run.warm_up(ctx, plan)
        phase = plan.open_phases[0]
        for i in range(1, n + 1):
            say(f"repeats: {i}/{n}")
            raw = await run_open_phase(ctx, plan, phase, i, kinds)
            figs = phase_figures(ctx, plan, raw)
            s = quick_run._phase_summary(raw, figs)
            runs.append(
                {
                    "stop_p99_ms": s["stop_latency_ms"]["p99"],
                    "stop_from_meter_p99_ms": s["stop_latency_from_meter_ms"]["p99"],
                    "floor_p99_ms": s["stop_latency_floor_ms"]["p99"],
                    "ratio": s["stop_latency_vs_floor"],
                    "ingest_ratio": s["webhook_ingest"].get("ratio"),
                    "n_stops": s["stop_latency_ms"]["n"],
                    "stops_before_cap": s["stop_classes"].get("measured", 0),
                    "n_floor": s["stop_latency_floor_ms"]["n"],
                    "stop_classes": s["stop_classes"],
                    "beyond_hard_cap": s["beyond_hard_cap"],
                    "loadavg": s["loadavg"],
                    "cpu": s["cpu"],
                }
            )
    finally:
        await ctx.aclose()
        await asyncio.to_thread(stack.stop)
        shutil.rmtree(work, ignore_errors=True)
    keys = (
        "stop_p99_ms",
        "stop_from_meter_p99_ms",
        "floor_p99_ms",
        "ratio",
        "ingest_ratio",
        "stops_before_cap",
    )
    return {
        "repeats": {
            "n": len(runs),
            "shape": "quick's open phase (100 open, AC+DC, 30x), one stack, a fresh terminal each",
            "workflow_sandbox": os.environ[quick_run.SANDBOX_ENV],
            **{k: fit.spread([x[k] for x in runs]) for k in keys},
            "runs": runs,
        }
    }
