"""One open-sessions phase: start N sessions, measure ingest and the stop-latency floor
(through the HTTP front) while they charge, wait until all are final, then read the
ground truth."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from bench import (
    bursts,
    calls,
    features,
    hook_entries,
    hook_floor,
    signal_reasons,
    stop_path,
    truth,
)
from bench.context import CHARGEPAY_CLIENT_ID, BenchContext, api_metrics_urls
from bench.ingest import a_charge
from bench.ingest import measure as measure_ingest
from bench.load import (
    Planned,
    Started,
    StartFailed,
    final_status,
    gather_bounded,
    history_rows,
    running_count,
    start_session,
)
from bench.machine import load_average, total_rss_mb
from bench.phase_cpu import CpuWindow
from bench.plan import OpenPhase, Plan
from bench.shape import EventRow
from bench.throughput import stack_pids
from bench.world import PointKind, hold_for_kwh, kwh_for_minutes, point_id
from workflows.contracts import SessionConfig, SessionStatus

SAMPLE_S = 1.0
RESULT_CONCURRENCY = 16
MONTA_BATCH_SIZE = 100


@dataclass
class Sampler:
    """Worker RSS (summed over the worker processes) and open sessions, once a second."""

    pids: list[int]
    terminal: str
    samples: list[tuple[float, int, float]] = field(default_factory=list)  # (t, open, MB)

    async def run(self, ctx: BenchContext, stop: asyncio.Event) -> None:
        while not stop.is_set():
            rss = total_rss_mb(self.pids)
            try:
                n = await running_count(ctx, self.terminal)
            except Exception:  # visibility hiccup: skip the sample
                n = -1
            if rss is not None and n >= 0:
                self.samples.append((time.time(), n, rss))
            try:
                await asyncio.wait_for(stop.wait(), SAMPLE_S)
            except TimeoutError:
                pass

    def peak(self) -> tuple[int, float] | None:
        if not self.samples:
            return None
        _, n, rss = max(self.samples, key=lambda s: (s[1], s[2]))
        return n, rss


def session_config(ctx: BenchContext, plan: Plan) -> SessionConfig:
    return session_config_of(ctx.env, plan)


def session_config_of(env: Mapping[str, str], plan: Plan) -> SessionConfig:
    """What the hold sizing needs of the sessions' settings, as the stack's processes read
    them (the defaults where the environment says nothing)."""
    defaults = SessionConfig()
    reserve = env.get("CHARGEPAY_IDLE_RESERVE_MINUTES", str(defaults.idle_reserve_minutes))
    return SessionConfig(
        time_scale=plan.time_scale,
        expected_power_kw=Decimal(env.get("CHARGEPAY_EXPECTED_POWER_KW", "11")),
        budget_safety_margin=Decimal(env.get("CHARGEPAY_BUDGET_SAFETY_MARGIN", "0.05")),
        idle_reserve_minutes=int(reserve),
    )


def plan_sessions(
    phase: OpenPhase, kinds: dict[str, PointKind], config: SessionConfig
) -> list[Planned]:
    out: list[Planned] = []
    for kind, share in phase.mix.items():
        n = round(phase.sessions * share) if kind != list(phase.mix)[-1] else None
        count = n if n is not None else phase.sessions - len(out)
        k = kinds[kind]
        amount = hold_for_kwh(kwh_for_minutes(k, phase.charge_minutes), k.tariff, config)
        out += [Planned(len(out) + j, kind, point_id(kind, j), amount) for j in range(count)]
    return out


def worker_pids(ctx: BenchContext) -> list[int]:
    pids = []
    for name in ctx.stack.worker_names:
        popen = ctx.stack.procs[name].popen
        assert popen is not None  # a missing worker would make the RSS sum short
        pids.append(popen.pid)
    return pids


async def wait_all_final(ctx: BenchContext, terminal: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ctx.stack.check_alive()
        if await running_count(ctx, terminal) == 0:
            return True
        await asyncio.sleep(SAMPLE_S)
    return False


def floor_pad(mean_batch_entries: float | None) -> int:
    """Older readings in each floor POST beside its fresh one, so it is as large as the
    phase's Monta batches were on average so far (the API parses every entry)."""
    if mean_batch_entries is None:
        return 0
    return max(0, min(MONTA_BATCH_SIZE, round(mean_batch_entries)) - 1)


def batch_entries(batches: list[dict[str, Any]], t0: float, t1: float) -> dict[str, Any]:
    """Entries per Monta webhook batch in the phase window (emulator truth)."""
    sizes = [int(b["entries"]) for b in batches if t0 <= float(b["t"]) <= t1]
    return {
        "mean": round(sum(sizes) / len(sizes), 1) if sizes else None,
        "max": max(sizes, default=None),
        "batches": len(sizes),
    }


async def run_open_phase(
    ctx: BenchContext, plan: Plan, phase: OpenPhase, index: int, kinds: dict[str, PointKind]
) -> dict[str, Any]:
    terminal = f"bench{index}"
    planned = plan_sessions(phase, kinds, session_config(ctx, plan))
    if ctx.features is not None:
        planned = await ctx.features.prepare(ctx, planned)
    key = ctx.key_for(terminal, [p.point_id for p in planned])
    pids = worker_pids(ctx)
    rss_before = total_rss_mb(pids) or 0.0
    load_start = load_average()
    stop_sampling = asyncio.Event()
    sampler = Sampler(pids, terminal)
    sampling = asyncio.create_task(sampler.run(ctx, stop_sampling))
    metrics = api_metrics_urls(ctx)
    signals_t0 = await signal_reasons.read_all(ctx.http, metrics)
    t0 = time.time()
    results = await gather_bounded(
        plan.start_concurrency,
        [partial(start_session, ctx, terminal, key, f"p{index}x", p) for p in planned],
    )
    t_started = time.time()
    started = [r for r in results if isinstance(r, Started)]
    failed = [r for r in results if isinstance(r, StartFailed)]
    ingest: dict[str, Any] | None = None
    probe_start = probe_end = await signal_reasons.read_all(ctx.http, metrics)
    if phase.ingest:
        ingest = await measure_ingest(
            ctx,
            min(len(started) or 1, plan.ingest_sinks),
            plan.ingest_batches_in_flight,
            plan.ingest_leg_s,
            first_id=hook_entries.block(2 * index + 1),
        )
        probe_end = await signal_reasons.read_all(ctx.http, metrics)
    template = await a_charge(ctx)
    so_far = await ctx.monta_truth()
    pad = floor_pad(batch_entries(so_far.get("webhook_batches", []), t0, time.time())["mean"])
    del so_far
    floor = None
    if template is not None:
        first_id = hook_entries.block(2 * index)  # the phase's ingest takes 2 * index + 1
        floor = await hook_floor.start(ctx, plan.floor_rate, pad, template, first_id)
    extra = [floor.proc] if floor is not None else []
    cpu = CpuWindow.open(stack_pids(ctx, extra))
    all_final = await wait_all_final(ctx, terminal, plan.phase_timeout_s)
    cpu_figures = cpu.close()
    if floor is not None:
        await asyncio.to_thread(floor.stop)
    stop_sampling.set()
    await sampling
    t1 = time.time()
    signals_end = await signal_reasons.read_all(ctx.http, metrics)
    load_end = load_average()
    statuses = await gather_bounded(
        RESULT_CONCURRENCY, [partial(final_status, ctx, s.session_id) for s in started]
    )
    histories = await gather_bounded(
        RESULT_CONCURRENCY,
        [partial(history_rows, ctx, s.session_id) for s in started[: plan.history_sample]],
    )
    monta, acquirer = await ctx.monta_truth(), await ctx.acquirer_truth()
    floor_raw = hook_floor.read(floor.out) if floor is not None else {"posts": []}
    floor_fig = hook_floor.latencies(
        floor_raw["posts"], hook_floor.stop_arrivals(monta["requests"])
    )
    # The floor's POSTs are signalled as `first` (fresh charges): not the sessions' cost.
    floor_signals = sum(int(p["signalled"]) for p in floor_raw["posts"])
    signals = signal_reasons.spent([(signals_t0, probe_start), (probe_end, signals_end)])
    signals = signal_reasons.without(signals, "first", floor_signals)
    budgets = {
        st.session_id: st.kwh_budget
        for st in statuses
        if st is not None and st.reason == "kwh_budget" and st.kwh_budget is not None
    }
    crossings = bursts.batches(
        bursts.crossing_times(monta["charges"], budgets, ctx.stop_latency_s, plan.time_scale)
    )
    traces: list[stop_path.Trace] = []
    paths = await stop_path.measure(
        ctx.temporal, monta["charges"], budgets, ctx.stop_latency_s, plan.time_scale, traces
    )
    return {
        "stop_paths": paths,
        "stop_traces": traces,
        "phase": phase,
        "t0": t0,
        "t_started": t_started,
        "t1": t1,
        "loadavg": {"start": load_start, "end": load_end},
        "cpu": cpu_figures,
        "all_final": all_final,
        "started": started,
        "start_failed": failed,
        "statuses": statuses,
        "histories": histories,
        "ingest": ingest,
        "floor_ms": floor_fig.pop("latencies_ms"),
        "floor_probe": {
            **floor_fig,
            "rate_per_s": plan.floor_rate,
            "entries_per_post": pad + 1,
        },
        "monta_batch_entries": batch_entries(monta.get("webhook_batches", []), t0, t1),
        "stop_bursts": bursts.summary(crossings),
        "signal_reasons": signals,
        "rss_before_mb": rss_before,
        "rss_peak": sampler.peak(),
        "monta": monta,
        "acquirer": acquirer,
    }


def session_facts(
    started: list[Started], statuses: list[SessionStatus | None]
) -> dict[str, truth.SessionFacts]:
    """What truth.outcomes needs of each started session, by id, from its final status."""
    return {
        s.session_id: truth.SessionFacts(
            session_id=s.session_id,
            kind=s.planned.kind,
            hold_id=s.hold_id,
            state=st.state if st else "unfinished",
            reason=st.reason if st else None,
            kwh_budget=st.kwh_budget if st else None,
        )
        for s, st in zip(started, statuses, strict=True)
    }


def phase_figures(ctx: BenchContext, plan: Plan, raw: dict[str, Any]) -> dict[str, Any]:
    """Numbers of one open phase from ground truth (see truth.DEFINITIONS)."""
    started: list[Started] = raw["started"]
    statuses: list[SessionStatus | None] = raw["statuses"]
    facts = session_facts(started, statuses)
    holds = {h["id"]: h for h in raw["acquirer"]["holds"]}
    charges = [c for c in raw["monta"]["charges"] if c.get("partnerExternalId") in facts]
    outs = truth.outcomes(
        charges,
        facts,
        holds,
        latency_s=ctx.stop_latency_s,
        time_scale=plan.time_scale,
        money_unit=ctx.money_unit,
    )
    reqs = calls.in_window(raw["monta"]["requests"], CHARGEPAY_CLIENT_ID, raw["t0"], raw["t1"])
    charge_to_session = {int(c["id"]): str(c["partnerExternalId"]) for c in charges}
    point_to_session = {s.planned.point_id: s.session_id for s in started}
    histories: list[list[EventRow]] = raw["histories"]
    money = None
    if ctx.features is not None:
        money = features.money_check(
            features.sessions_of(started, statuses),
            raw["monta"]["charges"],
            raw["acquirer"]["holds"],
            ctx.features.setup(plan.time_scale),
            ctx.money_unit,
        )
    return {
        "features": money,
        "outcomes": outs,
        "calls": calls.calls_per_session(reqs, charge_to_session, point_to_session, len(started)),
        "monta_429": calls.count_429(reqs),
        "history_events": [len(h) for h in histories],
        "history_by_type": _mean_by_type(histories),
        "states": _count(st.state if st else "unfinished" for st in statuses),
        "reasons": _count(str(st.reason) if st else "unfinished" for st in statuses),
    }


def _mean_by_type(histories: list[list[EventRow]]) -> dict[str, float]:
    """Mean events per session by event type: what a session's history is made of."""
    total: dict[str, int] = _count(name for h in histories for name, _ in h)
    n = max(len(histories), 1)
    return {k: round(v / n, 1) for k, v in sorted(total.items(), key=lambda kv: -kv[1])}


def _count(items: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out
