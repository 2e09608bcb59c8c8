"""Webhook ingest vs plain client signals, like for like: every entry must be signalled.

Targets are bare `HookSink` workflows (bench/hook_bare.py) named `session-<op>-benchsink-*`,
served by a bare-worker probe process: a session would act on fresh readings, and the
bench must not change what the sessions do. Each round gives every sink's charge a fresh,
newer reading near its cap (bench/hook_entries.py), so the API signals each entry (none is
dropped as redundant); the raw side sends the same snapshots as client signals to the same
workflows, with as many in flight as the API's signal gates allow.

The sides alternate in legs (webhook, raw, raw, webhook, ...) of `leg_s` seconds each and
are pooled per side, so a drift of the shared machine weighs on both alike.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from activities.monta.convert import parse_charge, snapshot_from_charge
from bench import hook_entries
from bench.context import BENCH_OPERATOR, BenchContext
from bench.hook_bare import FINISH, HOOK_SINK
from bench.probes import start_probe
from bench.stats import ratio
from core.money import MoneyUnit
from workflows.contracts import SIGNAL_CHARGE_UPDATED

BATCH_SIZE = 100  # Monta's batch size
LEGS = ("webhook", "raw", "raw", "webhook")


async def a_charge(ctx: BenchContext) -> dict[str, Any] | None:
    """One charge as the emulator serves it: the template of the bench's own entries."""
    token = await ctx.reader_token()
    data = await ctx.json(
        "GET",
        f"{ctx.stack.monta_url}/api/v1/charges",
        params={"perPage": 1, "page": 0},
        headers={"Authorization": f"Bearer {token}"},
    )
    rows = data.get("data") or []
    return hook_entries.template_of(rows[0]) if rows else None


@dataclass
class Side:
    sent: int = 0  # entries POSTed (webhook) or signals sent (raw)
    signalled: int = 0  # signals Temporal accepted
    failed: int = 0
    seconds: float = 0.0
    legs: list[dict[str, Any]] = field(default_factory=list)

    def figures(self, name: str) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "signalled": self.signalled,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            f"{name}_per_s": round(self.signalled / self.seconds, 1) if self.seconds else None,
            "legs": self.legs,
        }


class Feed:
    """Fresh readings for the sinks: each call gives every sink's charge of one lane its
    next step. A charge belongs to one lane, so its readings reach the API in order (an
    older one after a newer would be dropped as stale, not signalled)."""

    def __init__(
        self, template: Mapping[str, Any], ids: Sequence[str], lanes: int, first_id: int
    ) -> None:
        self.template, self.ids, self.lanes = template, list(ids), lanes
        charge_ids = hook_entries.charge_ids(first_id)
        self.charge_ids = [next(charge_ids) for _ in self.ids]
        self.steps = [itertools.count(1) for _ in range(lanes)]

    def round(self, lane: int) -> list[dict[str, Any]]:
        step, t = next(self.steps[lane]), time.time()
        return [
            hook_entries.charge(self.template, cid, wid, step, t)
            for cid, wid in list(zip(self.charge_ids, self.ids, strict=True))[lane :: self.lanes]
        ]

    @property
    def per_lane(self) -> int:
        return -(-len(self.ids) // self.lanes)


async def _webhook_leg(
    ctx: BenchContext, feed: Feed, in_flight: int, leg_s: float, side: Side
) -> None:
    url = f"{ctx.stack.api_url}/v1/webhooks/monta/{BENCH_OPERATOR}"
    secret, end = ctx.webhook_secret, time.monotonic() + leg_s
    before = (side.sent, side.signalled)

    async def lane(k: int) -> None:
        while time.monotonic() < end:
            batch = feed.round(k)
            status, ack = await hook_entries.post_batch(
                ctx.http, url, secret, hook_entries.batch_body(batch, time.time())
            )
            side.sent += len(batch)
            side.signalled += int(ack.get("signalled", 0)) if status == 200 else 0
            side.failed += 0 if status == 200 else len(batch)

    t0 = time.monotonic()
    await asyncio.gather(*(lane(k) for k in range(in_flight)))
    elapsed = time.monotonic() - t0
    side.seconds += elapsed
    side.legs.append(_leg(elapsed, side.sent - before[0], side.signalled - before[1]))


async def _raw_leg(
    ctx: BenchContext, feed: Feed, concurrency: int, leg_s: float, unit: MoneyUnit, side: Side
) -> None:
    end = time.monotonic() + leg_s
    before = (side.sent, side.signalled)
    queue: list[Any] = []

    async def lane() -> None:
        while time.monotonic() < end:
            if not queue:
                readings = [c for k in range(feed.lanes) for c in feed.round(k)]
                queue.extend(snapshot_from_charge(parse_charge(c), unit) for c in readings)
            snap = queue.pop()
            side.sent += 1
            try:
                handle = ctx.temporal.get_workflow_handle(snap.partner_external_id or "")
                await handle.signal(SIGNAL_CHARGE_UPDATED, snap)
                side.signalled += 1
            except Exception:  # counted, not retried: the rate is what is measured
                side.failed += 1

    t0 = time.monotonic()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    elapsed = time.monotonic() - t0
    side.seconds += elapsed
    side.legs.append(_leg(elapsed, side.sent - before[0], side.signalled - before[1]))


def _leg(seconds: float, sent: int, signalled: int) -> dict[str, Any]:
    return {"seconds": round(seconds, 3), "sent": sent, "signalled": signalled}


async def measure(
    ctx: BenchContext,
    sinks: int,
    in_flight: int,
    leg_s: float,
    legs: Sequence[str] = LEGS,
    first_id: int = hook_entries.FIRST_BENCH_CHARGE,
) -> dict[str, Any]:
    template = await a_charge(ctx)
    if template is None:
        return {"error": "the emulator served no charge to model entries on"}
    probe = await start_probe(ctx, "worker")
    run = uuid.uuid4().hex[:8]
    try:
        ids = [f"session-{BENCH_OPERATOR}-benchsink-{run}-{i}" for i in range(sinks)]
        handles = [
            await ctx.temporal.start_workflow(HOOK_SINK, 0, id=wid, task_queue=probe.queue)
            for wid in ids
        ]
        feed = Feed(template, ids, in_flight, first_id)
        # The API signals each batch's entries at once, through its gate: at most this many
        # signals in flight on the webhook side, and so on the raw side.
        concurrency = in_flight * min(feed.per_lane, BATCH_SIZE, ctx.signal_concurrency)
        unit: MoneyUnit = "minor" if ctx.money_unit == "minor" else "major"
        hook, raw = Side(), Side()
        for leg in legs:
            if leg == "webhook":
                await _webhook_leg(ctx, feed, in_flight, leg_s, hook)
            else:
                await _raw_leg(ctx, feed, concurrency, leg_s, unit, raw)
        for h in handles:
            await h.signal(FINISH)
    finally:
        await asyncio.to_thread(probe.stop)
    hook_fig, raw_fig = hook.figures("signals"), raw.figures("signals")
    return {
        "sinks": sinks,
        "entries_signalled_share": ratio(hook.signalled, hook.sent),
        "api_signals_per_s": hook_fig["signals_per_s"],
        "raw_signals_per_s": raw_fig["signals_per_s"],
        "ratio": ratio(hook_fig["signals_per_s"], raw_fig["signals_per_s"]),
        "seconds_per_side": [hook_fig["seconds"], raw_fig["seconds"]],
        "batches_in_flight": in_flight,
        "signal_concurrency": concurrency,
        "webhook": hook_fig,
        "raw": raw_fig,
    }


def pooled(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Every phase's ingest legs as one measurement per side (the headline figure)."""
    done = [r for r in runs if "webhook" in r]
    if not done:
        return {"error": "not measured"}
    hook = {k: sum(r["webhook"][k] for r in done) for k in ("sent", "signalled", "seconds")}
    raw = {k: sum(r["raw"][k] for r in done) for k in ("sent", "signalled", "seconds")}
    api = ratio(hook["signalled"], hook["seconds"], digits=1)
    client = ratio(raw["signalled"], raw["seconds"], digits=1)
    return {
        "api_signals_per_s": api,
        "raw_signals_per_s": client,
        "ratio": ratio(api, client),
        "entries_signalled_share": ratio(hook["signalled"], hook["sent"]),
        "seconds_per_side": [round(hook["seconds"], 1), round(raw["seconds"], 1)],
        "signals_per_side": [hook["signalled"], raw["signalled"]],
        "phases": len(done),
    }
