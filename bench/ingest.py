"""Webhook ingest vs plain client signals, to the same open sessions.

The snapshots are the sessions' real Monta charges (read with another credential) with
`updatedAt` set back to the charge's creation, so merging them is a no-op: the session's
behaviour is untouched and both paths cost exactly one signal (and workflow task) each.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from activities.monta.convert import parse_charge, snapshot_from_charge
from bench.context import BENCH_OPERATOR, BenchContext
from bench.load import gather_bounded
from core.money import MoneyUnit
from core.signature import HEADER, sign
from workflows.contracts import SIGNAL_CHARGE_UPDATED, ChargeSnapshot

PER_PAGE = 100
MAX_PAGES = 100
BATCH_SIZE = 100  # Monta's batch size


async def open_charges(ctx: BenchContext, session_ids: set[str]) -> list[dict[str, Any]]:
    """The phase's charging charges as Monta serves them, made stale."""
    token = await ctx.reader_token()
    found: list[dict[str, Any]] = []
    for page in range(MAX_PAGES):
        data = await ctx.json(
            "GET",
            f"{ctx.stack.monta_url}/api/v1/charges",
            params={"state": "charging", "perPage": PER_PAGE, "page": page},
            headers={"Authorization": f"Bearer {token}"},
        )
        found += [c for c in data["data"] if c.get("partnerExternalId") in session_ids]
        if page + 1 >= int(data["meta"]["totalPageCount"]):
            break
    return [{**c, "updatedAt": c["createdAt"]} for c in found]


def batch_body(charges: Sequence[Mapping[str, Any]], now: float) -> bytes:
    entries = [
        {
            "entityType": "charge",
            "entityId": str(c["id"]),
            "eventType": "updated",
            "eventTime": c["updatedAt"],
            "payload": c,
        }
        for c in charges
    ]
    doc = {"entries": entries, "pending": 0, "timestamp": int(now * 1000)}
    return json.dumps(doc, separators=(",", ":")).encode()


async def webhook_rate(
    ctx: BenchContext, charges: Sequence[Mapping[str, Any]], entries: int, in_flight: int
) -> dict[str, Any]:
    batches = [charges[i : i + BATCH_SIZE] for i in range(0, len(charges), BATCH_SIZE)]
    rounds = max(1, math.ceil(entries / len(charges)))
    bodies = [batch_body(b, time.time()) for _ in range(rounds) for b in batches]
    url = f"{ctx.stack.api_url}/v1/webhooks/monta/{BENCH_OPERATOR}"
    secret = ctx.webhook_secret

    async def post(body: bytes) -> tuple[int, int, int]:
        headers = {"Content-Type": "application/json", HEADER: sign(secret, body)}
        resp = await ctx.http.post(url, content=body, headers=headers)
        ack = resp.json() if resp.status_code == 200 else {}
        signalled = int(ack.get("signalled", 0)) + int(ack.get("finished", 0))
        # Coalesced entries were verified, parsed and judged redundant: ingested, no signal.
        return resp.status_code, signalled + int(ack.get("coalesced", 0)), signalled

    t0 = time.monotonic()
    done = await gather_bounded(in_flight, [partial(post, b) for b in bodies])
    elapsed = time.monotonic() - t0
    accepted = sum(n for status, n, _ in done if status == 200)
    signalled = sum(n for status, _, n in done if status == 200)
    return {
        "entries": accepted,
        "signalled": signalled,
        "posts": len(bodies),
        "non_200": sum(1 for status, _, _ in done if status != 200),
        "seconds": round(elapsed, 3),
        "entries_per_s": round(accepted / elapsed, 1) if elapsed > 0 else None,
    }


async def raw_signal_rate(
    ctx: BenchContext, charges: Sequence[Mapping[str, Any]], signals: int, concurrency: int
) -> dict[str, Any]:
    unit: MoneyUnit = "minor" if ctx.money_unit == "minor" else "major"
    snaps = [snapshot_from_charge(parse_charge(dict(c)), unit) for c in charges]
    rounds = max(1, math.ceil(signals / len(snaps)))
    work = [s for _ in range(rounds) for s in snaps]

    async def one(snap: ChargeSnapshot) -> bool:
        assert snap.partner_external_id is not None
        handle = ctx.temporal.get_workflow_handle(snap.partner_external_id)
        try:
            await handle.signal(SIGNAL_CHARGE_UPDATED, snap)
        except Exception:  # a session that just finished: counted as not delivered
            return False
        return True

    t0 = time.monotonic()
    ok = await gather_bounded(concurrency, [partial(one, s) for s in work])
    elapsed = time.monotonic() - t0
    sent = sum(ok)
    return {
        "signals": sent,
        "failed": len(ok) - sent,
        "seconds": round(elapsed, 3),
        "signals_per_s": round(sent / elapsed, 1) if elapsed > 0 else None,
    }


async def measure(
    ctx: BenchContext, session_ids: set[str], entries: int, in_flight: int
) -> dict[str, Any]:
    charges = await open_charges(ctx, session_ids)
    if not charges:
        return {"error": "no open charging sessions to measure ingest on"}
    # The API signals each batch with its own gate: at most this many signals in flight.
    concurrency = in_flight * min(len(charges), BATCH_SIZE, ctx.signal_concurrency)
    hook = await webhook_rate(ctx, charges, entries, in_flight)
    await asyncio.sleep(0.5)
    raw = await raw_signal_rate(ctx, charges, hook["entries"] or entries, concurrency)
    ratio = None
    if hook["entries_per_s"] and raw["signals_per_s"]:
        ratio = round(hook["entries_per_s"] / raw["signals_per_s"], 3)
    return {
        "open_sessions": len(charges),
        "entries_per_s": hook["entries_per_s"],
        "raw_signals_per_s": raw["signals_per_s"],
        "ratio": ratio,
        "signal_concurrency": concurrency,
        "webhook": hook,
        "raw": raw,
    }
