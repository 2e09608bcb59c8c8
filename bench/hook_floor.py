"""Start and read the stop-latency floor through the HTTP front (bench/hook_probe.py).

Latency of one probe = (arrival of its stop at the Monta emulator, from the emulator's own
request log) - (the instant its webhook POST left the probe): the same two ends as a
session's stop latency, on one clock.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.context import BENCH_OPERATOR, READER, BenchContext
from bench.probes import STARTUP_S, Probe, spawn_probe

_STOP = re.compile(r"/charges/(\d+)/stop$")


async def start(ctx: BenchContext, rate: float, pad: int, template: Mapping[str, Any]) -> Probe:
    log_dir = ctx.stack.config.log_dir
    log_dir.mkdir(parents=True, exist_ok=True)
    config = log_dir / f"hookfloor-{id(template):x}.json"
    config.write_text(
        json.dumps(
            {
                "webhook_url": f"{ctx.stack.api_url}/v1/webhooks/monta/{BENCH_OPERATOR}",
                "secret": ctx.webhook_secret,
                "monta_url": ctx.stack.monta_url,
                "reader": list(READER),
                "operator": BENCH_OPERATOR,
                "template": dict(template),
                "pad": pad,
            }
        )
    )
    proc, queue, side, out = spawn_probe(
        ctx, "hookfloor", None, "--config", str(config), "--rate", str(rate)
    )
    await asyncio.sleep(STARTUP_S)
    proc.check_alive()
    return Probe(proc, queue, side, out)


def read(out: Path) -> dict[str, Any]:
    return json.loads(out.read_text()) if out.exists() else {"posts": []}


def stop_arrivals(requests: Sequence[Mapping[str, Any]]) -> dict[int, float]:
    """Charge id -> the first stop request's arrival, from the emulator's request log."""
    first: dict[int, float] = {}
    for r in requests:
        m = _STOP.search(str(r.get("path", "")))
        if m:
            cid = int(m.group(1))
            first[cid] = min(first.get(cid, float("inf")), float(r["t"]))
    return first


def latencies(posts: Sequence[Mapping[str, Any]], arrivals: Mapping[int, float]) -> dict[str, Any]:
    """{latencies_ms, posts, not_200, not_signalled, no_stop}: each signalled POST's stop."""
    out: list[float] = []
    not_200 = not_signalled = no_stop = 0
    for p in posts:
        if p["status"] != 200:
            not_200 += 1
        elif int(p["signalled"]) < 1:
            not_signalled += 1
        elif (t := arrivals.get(int(p["charge_id"]))) is None:
            no_stop += 1
        else:
            out.append((t - float(p["t_post"])) * 1000)
    return {
        "latencies_ms": out,
        "posts": len(posts),
        "not_200": not_200,
        "not_signalled": not_signalled,
        "no_stop": no_stop,
    }
