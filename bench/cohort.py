"""A cohort of sessions spread over a fleet of operators on a fresh stack: start them at the
machine's pace, sample open count, memory and CPU, wait until they are final, and read
what happened from the emulators' ground truth (the full run's parts use it)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from api.keys import create_key
from bench import calls, fit, truth
from bench.context import HTTP_TIMEOUT_S, BenchContext
from bench.fleet import Fleet, fleet_of, write
from bench.load import (
    Planned,
    Started,
    StartFailed,
    final_status,
    gather_bounded,
    start_session,
)
from bench.machine import load_average, total_rss_mb
from bench.open_phase import session_config, session_facts
from bench.phase_cpu import CpuWindow
from bench.plan import Plan
from bench.throughput import stack_pids
from bench.world import hold_for_kwh, kwh_for_minutes, point_kinds
from devstack.procs import free_port
from devstack.stack import Stack, StackConfig, StackPorts

SAMPLE_S = 2.0
RESULT_CONCURRENCY = 16
# Terminals starting at once. The API answers a start once Monta reports the car plugged
# in (or after its start wait), PLUG_DELAY_S emulated seconds later: at a low time scale
# that is many wall seconds, and a start rate needs that many terminals waiting at once.
# Bounded by nginx's 1024 connections (each start holds two: client and upstream).
START_CONCURRENCY_MIN, START_CONCURRENCY_MAX = 16, 360
HTTP_CONNECTIONS = 1000
PLUG_DELAY_S = 20.0  # emulated seconds from start to charging (emulators/monta/config.py)
# A start later than its plan still charges this long: it stops after the plan's window
# (the step's peak open count then shows the starts fell behind) rather than at once.
MIN_CHARGE_WALL_S = 30.0


@dataclass(frozen=True)
class Scale:
    """Time scale and Monta cadences of one part (emulated seconds)."""

    time_scale: float
    meter_interval_s: float = 60.0
    webhook_interval_s: float = 2.0

    def describe(self) -> dict[str, float]:
        return {
            "time_scale": self.time_scale,
            "meter_interval_s": self.meter_interval_s,
            "webhook_interval_s": self.webhook_interval_s,
            "meter_interval_wall_s": round(self.meter_interval_s / self.time_scale, 3),
            "webhook_interval_wall_s": round(self.webhook_interval_s / self.time_scale, 3),
        }


def start_concurrency(rate: float, scale: Scale) -> int:
    """Terminals starting at once for `rate` starts/s at `scale` (see above)."""
    waiting_s = PLUG_DELAY_S / scale.time_scale + 2.0
    need = math.ceil(rate * waiting_s)
    return max(START_CONCURRENCY_MIN, min(START_CONCURRENCY_MAX, need))


def fleet_stack(scale: Scale, fleet: Fleet, work: Path, sandbox: str) -> Stack:
    seed, operators = write(fleet, work)
    return Stack(
        StackConfig(
            data_dir=work,
            ports=StackPorts.free(),
            time_scale=scale.time_scale,
            headless_ui=True,
            worker_processes=2,
            api_processes=2,
            ingress=True,
            ingress_rate="1000r/s",
            temporal_metrics_port=free_port(),
            env={
                "CHARGEPAY_API_START_WAIT_S": "30",
                "CHARGEPAY_API_RETENTION_CHECK": "off",
                "CHARGEPAY_OPERATORS_FILE": str(operators),
                "CHARGEPAY_WORKFLOW_SANDBOX": sandbox,
                **fleet.env(),
            },
            monta_env={
                "MONTA_EMU_SEED": str(seed),
                "MONTA_EMU_METER_INTERVAL_S": str(scale.meter_interval_s),
                "MONTA_EMU_WEBHOOK_INTERVAL_S": str(scale.webhook_interval_s),
            },
        )
    )


@dataclass
class Running:
    """A started fleet stack and what the bench needs of it."""

    ctx: BenchContext
    fleet: Fleet
    scale: Scale
    work: Path
    keys: dict[str, str] = field(default_factory=dict)  # terminal -> API key

    @property
    def terminals(self) -> list[str]:
        return sorted(self.keys)

    def terminals_of(self, tag: str) -> list[str]:
        return sorted(t for t in self.keys if t.startswith(f"{tag}_"))

    def plan(self) -> Plan:
        return Plan(mode="full", time_scale=self.scale.time_scale)


async def open_stack(scale: Scale, operators: int, points_per_kind: int, sandbox: str) -> Running:
    work = Path(tempfile.mkdtemp(prefix="chargepay-bench-full-"))
    fleet = fleet_of(operators, points_per_kind)
    stack = fleet_stack(scale, fleet, work, sandbox)
    print(f"[bench] stack in {work}: {operators} operators, scale {scale.time_scale}", flush=True)
    starting = asyncio.ensure_future(asyncio.to_thread(stack.start))
    try:
        await asyncio.shield(starting)
    except BaseException:  # cancelled mid-start: let the thread finish, then stop it all
        with contextlib.suppress(BaseException):
            await starting
        await asyncio.to_thread(stack.stop)
        raise
    ctx = await BenchContext.connect(stack)
    await ctx.http.aclose()
    limits = httpx.Limits(max_connections=HTTP_CONNECTIONS, max_keepalive_connections=200)
    ctx.http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_S, limits=limits)
    return Running(ctx, fleet, scale, work)


async def close_stack(r: Running) -> None:
    await r.ctx.aclose()
    await asyncio.to_thread(r.ctx.stack.stop)
    shutil.rmtree(r.work, ignore_errors=True)  # a 10,000-session SQLite store is large


def terminal_of(tag: str, j: int) -> str:
    return f"{tag}_{j + 1:02d}"


def key_for(r: Running, tag: str, j: int) -> tuple[str, str]:
    terminal = terminal_of(tag, j)
    if terminal not in r.keys:
        op = r.fleet.keys[j]
        per = range(r.fleet.points_per_kind)
        points = [r.fleet.point_id(j, kind, i) for kind in ("ac", "dc") for i in per]
        _, key = create_key(r.ctx.stack.config.keys_file, op, terminal, points)
        r.keys[terminal] = key
    return terminal, r.keys[terminal]


@dataclass
class Cohort:
    tag: str
    started: list[Started]
    failed: list[StartFailed]
    t0: float
    t_started: float

    @classmethod
    def of(cls, tag: str, results: list[Started | StartFailed], t0: float) -> Cohort:
        """The cohort whose starts answered `results`, started from `t0` until now."""
        started = [x for x in results if isinstance(x, Started)]
        return cls(
            tag, started, [x for x in results if isinstance(x, StartFailed)], t0, time.time()
        )

    def failures(self) -> dict[str, Any]:
        """Failed starts by HTTP status (0: no answer), with the first answer of each."""
        by: dict[str, int] = {}
        first: dict[str, str] = {}
        for f in self.failed:
            key = str(f.http_status)
            by[key] = by.get(key, 0) + 1
            first.setdefault(key, f.body[:200])
        return {"by_status": by, "first_body": first}

    @property
    def start_rate(self) -> float | None:
        span = self.t_started - self.t0
        return round(len(self.started) / span, 2) if span > 0 else None


async def start_cohort(
    r: Running,
    tag: str,
    n: int,
    kind: str,
    charge_wall_s: Callable[[int, float], float],
    rate: float,
) -> Cohort:
    """Start `n` sessions round robin over the fleet, as many terminals at once as `rate`
    starts/s needs; session i's hold buys the charge that lasts `charge_wall_s(i, now)`
    wall seconds, decided when its hold is placed."""
    k = point_kinds()[kind]
    config = session_config(r.ctx, r.plan())
    ops = len(r.fleet.keys)
    if math.ceil(n / ops) > r.fleet.points_per_kind:
        raise ValueError(f"{n} sessions need more than {r.fleet.points_per_kind} points each")

    async def one(i: int) -> Started | StartFailed:
        j, slot = i % ops, i // ops
        terminal, key = key_for(r, tag, j)
        wall = max(charge_wall_s(i, time.time()), MIN_CHARGE_WALL_S)
        minutes = max(wall * r.scale.time_scale - PLUG_DELAY_S, 30.0) / 60
        amount = hold_for_kwh(kwh_for_minutes(k, minutes), k.tariff, config)
        p = Planned(i, kind, r.fleet.point_id(j, kind, slot), amount)
        return await start_session(r.ctx, terminal, key, f"{tag}x", p)

    t0 = time.time()
    concurrency = start_concurrency(rate, r.scale)
    results = await gather_bounded(concurrency, [partial(one, i) for i in range(n)])
    return Cohort.of(tag, results, t0)


WARM_TAG = "warm"


async def warm_up(r: Running) -> Cohort:
    """One session per operator, answered before anything is measured: the workers poll,
    each operator's Monta client holds a token and the tariff cache is filled. Without it
    the first starts wait on a worker still starting, past nginx's read timeout, and nginx
    then takes both API replicas out of its upstream for its fail timeout."""
    ops = len(r.fleet.keys)
    return await start_cohort(r, WARM_TAG, ops, "dc", lambda i, now: 60.0, 1.0)


async def running_count(r: Running, terminals: list[str]) -> int:
    if not terminals:
        return 0
    names = ", ".join(f"'{t}'" for t in terminals)
    query = f"TerminalId IN ({names}) AND ExecutionStatus = 'Running'"
    return (await r.ctx.temporal.count_workflows(query)).count


def pids_of(r: Running, names: list[str]) -> list[int]:
    out = []
    for name in names:
        proc = r.ctx.stack.procs.get(name)
        if proc is not None and proc.popen is not None:
            out.append(proc.popen.pid)
    return out


@dataclass
class Sampler:
    """(t, open, worker RSS MB, API RSS MB, Temporal RSS MB) every SAMPLE_S."""

    r: Running
    terminals: Callable[[], list[str]]
    samples: list[tuple[float, int, float, float, float]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def start(self) -> Sampler:
        self._task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        stack = self.r.ctx.stack
        while not self._stop.is_set():
            workers = total_rss_mb(pids_of(self.r, stack.worker_names))
            api = total_rss_mb(pids_of(self.r, stack.api_names))
            temporal = total_rss_mb(pids_of(self.r, ["temporal"]))
            try:
                n = await running_count(self.r, self.terminals())
            except Exception:  # a visibility hiccup: skip the sample
                n = -1
            if n >= 0 and workers is not None:
                self.samples.append((time.time(), n, workers, api or 0.0, temporal or 0.0))
            try:
                await asyncio.wait_for(self._stop.wait(), SAMPLE_S)
            except TimeoutError:
                pass

    def peak_open(self) -> int:
        return max((s[1] for s in self.samples), default=0)

    def at_peak(self) -> dict[str, float] | None:
        if not self.samples:
            return None
        _, n, w, a, tm = max(self.samples, key=lambda s: (s[1], s[2]))
        return {"open": n, "worker_rss_mb": round(w, 1), "api_rss_mb": round(a, 1),
                "temporal_rss_mb": round(tm, 1)}  # fmt: skip


async def wait_final(r: Running, terminals: list[str], deadline: float) -> bool:
    while time.time() < deadline:
        r.ctx.stack.check_alive()
        if await running_count(r, terminals) == 0:
            return True
        await asyncio.sleep(SAMPLE_S)
    return False


# ------------------------------------------------------------------ Temporal's own metrics
def schedule_to_start_buckets(text: str) -> dict[float, float]:
    """Cumulative buckets of the server's workflow-task schedule-to-start latency (seconds)
    on the session task queue (its normal and sticky partitions)."""
    out: dict[float, float] = {}
    for family in text_string_to_metric_families(text):
        if "schedule_to_start" not in family.name:
            continue
        for s in family.samples:
            if not s.name.endswith("_bucket"):
                continue
            if s.labels.get("task_type") != "Workflow":
                continue
            if "sessions" not in s.labels.get("taskqueue", ""):  # normal and sticky
                continue
            le = float(s.labels["le"])
            out[le] = out.get(le, 0.0) + s.value
    return out


async def read_schedule_to_start(http: httpx.AsyncClient, url: str | None) -> dict[float, float]:
    if url is None:
        return {}
    try:
        resp = await http.get(url, timeout=10.0)
        resp.raise_for_status()
    except httpx.HTTPError:
        return {}
    return schedule_to_start_buckets(resp.text)


def schedule_to_start_p99_ms(before: dict[float, float], after: dict[float, float]) -> float | None:
    q = fit.histogram_quantile(fit.bucket_delta(before, after), 0.99)
    return None if q is None else round(q * 1000, 1)


# ------------------------------------------------------------------ figures from truth
async def outcomes(r: Running, cohort: Cohort) -> dict[str, Any]:
    """Stop latency, hard cap, money and Monta calls of a finished cohort (truth.py)."""
    statuses = await gather_bounded(
        RESULT_CONCURRENCY, [partial(final_status, r.ctx, s.session_id) for s in cohort.started]
    )
    facts = session_facts(cohort.started, statuses)
    monta, acquirer = await r.ctx.monta_truth(), await r.ctx.acquirer_truth()
    holds = {h["id"]: h for h in acquirer["holds"]}
    charges = [c for c in monta["charges"] if c.get("partnerExternalId") in facts]
    outs = truth.outcomes(
        charges,
        facts,
        holds,
        latency_s=r.ctx.stop_latency_s,
        time_scale=r.scale.time_scale,
        money_unit=r.ctx.money_unit,
    )
    clients = {f"{k}-client" for k in r.fleet.keys}
    reqs = [r_ for r_ in monta["requests"] if r_.get("client_id") in clients]
    charge_to_session = {int(c["id"]): str(c["partnerExternalId"]) for c in charges}
    point_to_session = {s.planned.point_id: s.session_id for s in cohort.started}
    states: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for st in statuses:
        key = st.state if st else "unfinished"
        states[key] = states.get(key, 0) + 1
        why = str(st.reason) if st else "unfinished"
        reasons[why] = reasons.get(why, 0) + 1
    return {
        "outcomes": outs,
        "states": states,
        "reasons": reasons,
        "requests": reqs,
        "calls": calls.calls_per_session(reqs, charge_to_session, point_to_session, len(facts)),
        "monta_429": calls.count_429(reqs),
        "charges": charges,
        "budgets": {
            sid: f.kwh_budget
            for sid, f in facts.items()
            if f.reason == "kwh_budget" and f.kwh_budget is not None
        },
    }


def loadavg() -> list[float] | None:
    return load_average()


def cpu_window(r: Running) -> CpuWindow:
    return CpuWindow.open(stack_pids(r.ctx))


def kwh(x: Decimal | None) -> float | None:
    return None if x is None else float(x)
