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


async def start(
    ctx: BenchContext, rate: float, pad: int, template: Mapping[str, Any], first_id: int
) -> Probe:
    """`first_id`: the probe's first charge id, apart from every other probe's of the run."""
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
                "first_id": first_id,
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


def stop_arrivals(requests: Sequence[Mapping[str, Any]]) -> dict[int, list[float]]:
    """Charge id -> the arrivals of its stop requests, from the emulator's request log."""
    found: dict[int, list[float]] = {}
    for r in requests:
        m = _STOP.search(str(r.get("path", "")))
        if m:
            found.setdefault(int(m.group(1)), []).append(float(r["t"]))
    return found


def latencies(
    posts: Sequence[Mapping[str, Any]], arrivals: Mapping[int, Sequence[float]]
) -> dict[str, Any]:
    """{latencies_ms, posts, not_200, not_signalled, no_stop}: each signalled POST's stop,
    the first to arrive after the POST left (another run's stop of the same id is not it)."""
    out: list[float] = []
    not_200 = not_signalled = no_stop = 0
    for p in posts:
        sent = float(p["t_post"])
        after = [t for t in arrivals.get(int(p["charge_id"]), []) if t >= sent]
        if p["status"] != 200:
            not_200 += 1
        elif int(p["signalled"]) < 1:
            not_signalled += 1
        elif not after:
            no_stop += 1
        else:
            out.append((min(after) - sent) * 1000)
    return {
        "latencies_ms": out,
        "posts": len(posts),
        "not_200": not_200,
        "not_signalled": not_signalled,
        "no_stop": no_stop,
    }
