"""Completed sessions per second, chargepay vs bare workflows of the same shape.

Both run as a closed loop of `concurrency` slots until `sessions` finished, against the same
Temporal server, twice each in the order ours, bare, bare, ours (`measure`). chargepay's
sessions are short DC charges; the bare workflows repeat the
mean activities / signals / timers of a sample of those sessions with no-op bodies, served
by separate worker processes, as many as chargepay runs (`plan.worker_processes`).

The loop must keep the machine busy, or it measures how long an emulated charge lasts on the
wall (a 1.2 kWh charge is seconds of emulated physics, a bare workflow none) rather than
what the system can carry: at 30 slots, chargepay's side left a third of the CPU idle and
its ratio fell as the server got faster (0.53 → 0.39). Each side's `cpu_busy` (share of all
cores) is in the JSON to check that it saturated.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bench import server_requests
from bench.bare import BARE_SESSION, BareShape
from bench.context import BENCH_OPERATOR, BenchContext
from bench.hook_batcher import HookBatcher
from bench.hook_entries import block
from bench.ingest import a_charge
from bench.load import Planned, Started, history_rows, start_session, wait_result
from bench.machine import busy_share, cpu_by_process, cpu_spent, cpu_times
from bench.plan import Plan
from bench.probes import start_probe
from bench.server_requests import Counts
from bench.shape import Shape, mean_shape
from bench.stats import ratio
from bench.world import PointKind, hold_for_kwh, point_id
from devstack.procs import Proc
from workflows.contracts import SessionConfig


def stack_pids(ctx: BenchContext, extra: Sequence[Proc] = ()) -> dict[str, int]:
    """The processes whose CPU a side spends: the stack's and these probes' (each with its
    children: the Temporal CLI runs the server as one). The bench's own is added apart."""
    procs = {**ctx.stack.procs, **{p.name: p for p in extra}}
    return {name: p.popen.pid for name, p in procs.items() if p.popen is not None}


def role_of(name: str) -> str:
    """A process's role by its stack name: `api`, `api-2`, ... are all the API."""
    if name == "bench":
        return "driver"
    if name in ("temporal", "nginx"):
        return name
    if name == "api" or name.startswith("api-"):
        return "api"
    if "emulator" in name:
        return "emulators"
    if name == "dev-codec":
        return "other"
    return "workers"  # worker, worker-2, ... and the bare side's probe workers


def cpu_ms_per_session(cpu_s: dict[str, float], completed: int) -> dict[str, float] | None:
    """CPU milliseconds per completed session by role: the Temporal server, the workers
    (chargepay's or the bare ones), the API replicas, nginx, the emulators (Monta's and the
    acquirer's, stand-ins for services that run elsewhere in production) and the load
    driver."""
    if not completed:
        return None
    groups: dict[str, float] = {}
    for name, seconds in cpu_s.items():
        role = role_of(name)
        groups[role] = groups.get(role, 0.0) + seconds
    return {role: round(s * 1000 / completed, 1) for role, s in sorted(groups.items())}


def server_counts(ctx: BenchContext) -> Callable[[], Awaitable[Counts | None]]:
    """Reads the stack's Temporal server counters (None if it exposes none)."""
    return lambda: server_requests.read(ctx.http, ctx.stack.temporal_metrics_url)


async def closed_loop(
    sessions: int,
    concurrency: int,
    one: Callable[[int, int], Awaitable[bool]],
    pids: dict[str, int] | None = None,
    server: Callable[[], Awaitable[Counts | None]] | None = None,
) -> dict[str, Any]:
    """Run `one(slot, index)` in `concurrency` slots until `sessions` were run; `pids`: whose
    CPU seconds to report (where the side's work went); `server`: reads the Temporal
    server's request counters (bench/server_requests.py), before and after."""
    read = server or _no_counts
    counts0 = await read()
    counter = itertools.count()
    done: list[bool] = []

    async def slot(j: int) -> None:
        while (i := next(counter)) < sessions:
            try:
                done.append(await one(j, i))
            except Exception:  # a failed or timed-out run counts as not completed
                done.append(False)

    by0 = {**cpu_by_process(pids or {}), "bench": time.process_time()}
    t0, cpu0 = time.monotonic(), cpu_times()
    await asyncio.gather(*(slot(j) for j in range(concurrency)))
    elapsed, cpu1 = time.monotonic() - t0, cpu_times()
    by1 = {**cpu_by_process(pids or {}), "bench": time.process_time()}
    counts = server_requests.spent(counts0, await read())
    return _loop_figures(
        len(done), sum(done), elapsed, busy_share(cpu0, cpu1), cpu_spent(by0, by1), counts
    )


async def _no_counts() -> Counts | None:
    return None


def _loop_figures(
    sessions: int,
    completed: int,
    seconds: float,
    cpu_busy: float | None,
    cpu_s: dict[str, float],
    server: Counts | None = None,
) -> dict[str, Any]:
    """One side's figures: what a closed loop reports, and what `pooled` rounds add up to."""
    return {
        "sessions": sessions,
        "completed": completed,
        "seconds": round(seconds, 3),
        "cpu_busy": cpu_busy,
        "cpu_s": cpu_s,
        "cpu_ms_per_session": cpu_ms_per_session(cpu_s, completed),
        "per_s": round(completed / seconds, 3) if seconds > 0 else None,
        "server_requests": server,
    }


async def ours(
    ctx: BenchContext, plan: Plan, dc: PointKind, config: SessionConfig, index: int
) -> tuple[dict[str, Any], list[str]]:
    terminal = f"bench{index}t"
    points = [point_id("dc", j) for j in range(plan.throughput_concurrency)]
    key = ctx.key_for(terminal, points)
    amount = hold_for_kwh(plan.throughput_kwh, dc.tariff, config)
    ids: list[str] = []

    async def one(slot: int, i: int) -> bool:
        got = await start_session(
            ctx, terminal, key, f"t{index}x", Planned(i, "dc", points[slot], amount)
        )
        if not isinstance(got, Started):
            return False
        ids.append(got.session_id)
        status = await wait_result(ctx, got.session_id, plan.session_timeout_s)
        return status is not None and status.state == "completed"

    figures = await closed_loop(
        plan.throughput_sessions,
        plan.throughput_concurrency,
        one,
        stack_pids(ctx),
        server_counts(ctx),
    )
    return figures, ids


async def baseline(
    ctx: BenchContext, plan: Plan, shape: Shape, template: Mapping[str, Any], first_id: int
) -> dict[str, Any]:
    """Bare sessions whose signals go through the same HTTP front as a session's (signed
    webhook batches on Monta's wall cadence, through nginx and the API replicas)."""
    # As many bare worker processes as chargepay runs, polling the same queues.
    probe = await start_probe(ctx, "worker")
    more = [
        await start_probe(ctx, "worker", queues=(probe.queue, probe.side_queue))
        for _ in range(plan.worker_processes - 1)
    ]
    run = uuid.uuid4().hex[:8]
    bare = BareShape(
        session_activities=shape.session_activities,
        side_activities=shape.side_activities,
        signals=shape.signals,
        timers=shape.timers,
        timers_fired=shape.timers_fired,
        side_queue=probe.side_queue,
    )
    interval = plan.describe()["webhook_interval_wall_s"]
    batcher = HookBatcher(ctx, template, interval, first_id)

    async def one(slot: int, i: int) -> bool:
        wid = f"session-{BENCH_OPERATOR}-benchbare-{run}-{i}"
        handle = await ctx.temporal.start_workflow(
            BARE_SESSION, bare, id=wid, task_queue=probe.queue
        )
        sent = await asyncio.gather(*(batcher.send(wid) for _ in range(bare.signals)))
        if not all(sent):
            return False
        got = await asyncio.wait_for(handle.result(), plan.session_timeout_s)
        return bool(got >= bare.signals)  # a redelivered batch may signal an entry twice

    try:
        pids = stack_pids(ctx, [p.proc for p in (probe, *more)])
        async with batcher:
            figures = await closed_loop(
                plan.throughput_sessions,
                plan.throughput_concurrency,
                one,
                pids,
                server_counts(ctx),
            )
        figures["webhook_posts"] = batcher.posts
        figures["entries_redelivered"] = batcher.redelivered
        return figures
    finally:
        for p in (probe, *more):
            await asyncio.to_thread(p.stop)


def pooled(loops: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Several closed loops of one side as one: totals, CPU seconds summed per process, the
    busy share weighted by each loop's duration."""
    seconds = sum(loop["seconds"] for loop in loops)
    cpu_s: dict[str, float] = {}
    for loop in loops:
        for name, s in loop["cpu_s"].items():
            cpu_s[name] = round(cpu_s.get(name, 0.0) + s, 2)
    busy = [(loop["cpu_busy"], loop["seconds"]) for loop in loops if loop["cpu_busy"] is not None]
    return _loop_figures(
        sum(loop["sessions"] for loop in loops),
        sum(loop["completed"] for loop in loops),
        seconds,
        round(sum(b * t for b, t in busy) / seconds, 3) if busy and seconds else None,
        cpu_s,
        server_requests.total([loop.get("server_requests") for loop in loops]),
    )


def _ratio(ours_per_s: float | None, base_per_s: float | None) -> float | None:
    """Ours over bare (bench.stats.ratio); none when ours completed nothing, as before."""
    return ratio(ours_per_s or None, base_per_s)


async def measure(
    ctx: BenchContext, plan: Plan, dc: PointKind, config: SessionConfig, index: int
) -> dict[str, Any]:
    """Ours, bare, bare, ours (terminals `bench<index>t` and `bench<index+1>t`): a drift of the
    machine over the minutes this takes weighs on both sides alike, and the two pairs' own
    ratios (`rounds`) show how far one pair alone can be off."""
    first, ids = await ours(ctx, plan, dc, config, index)
    sample = ids[: plan.history_sample]
    histories = await asyncio.gather(*(history_rows(ctx, sid) for sid in sample))
    shape = mean_shape(histories, ctx.session_queue)
    template = await a_charge(ctx)
    if template is None:
        raise RuntimeError("the emulator served no charge to model the bare side's entries on")
    # Charge ids apart from the phases' floors and ingests (bench/hook_entries.py).
    bare = [
        await baseline(ctx, plan, shape, template, block(98)),
        await baseline(ctx, plan, shape, template, block(99)),
    ]
    second, _ = await ours(ctx, plan, dc, config, index + 1)
    ours_all, bare_all = pooled([first, second]), pooled(bare)
    for key in ("webhook_posts", "entries_redelivered"):
        bare_all[key] = sum(int(b.get(key, 0)) for b in bare)
    # The totals stay out of the JSON: per session, side by side, is what explains the gap.
    mine = server_requests.per_session(ours_all.pop("server_requests"), ours_all["completed"])
    theirs = server_requests.per_session(bare_all.pop("server_requests"), bare_all["completed"])
    return {
        "sessions_per_s": ours_all["per_s"],
        "baseline_per_s": bare_all["per_s"],
        "ratio": _ratio(ours_all["per_s"], bare_all["per_s"]),
        "rounds": [
            {
                "ours_per_s": o["per_s"],
                "baseline_per_s": b["per_s"],
                "ratio": _ratio(o["per_s"], b["per_s"]),
            }
            for o, b in ((first, bare[0]), (second, bare[1]))
        ],
        "concurrency": plan.throughput_concurrency,
        "kwh_per_session": str(plan.throughput_kwh),
        "shape": shape.__dict__,
        # Per completed session, [ours, bare]: where the server's extra work for ours goes.
        "server_requests_per_session": (
            server_requests.side_by_side(mine, theirs) if mine and theirs else None
        ),
        "ours": ours_all,
        "baseline": bare_all,
    }
