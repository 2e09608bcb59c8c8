"""Run bench.probe in its own process (floor probe, bare-workflow worker) and collect it."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.context import BenchContext
from devstack.procs import Proc, base_env, spawn

STARTUP_S = 3.0  # imports + worker poll start before the probe measures anything


@dataclass
class Probe:
    proc: Proc
    queue: str
    side_queue: str
    out: Path

    def stop(self) -> None:
        self.proc.stop(timeout_s=60.0)

    def result(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.out.read_text()) if self.out.exists() else {}
        return data


async def start_probe(
    ctx: BenchContext, mode: str, rate: float = 5.0, queues: tuple[str, str] | None = None
) -> Probe:
    """`queues` (main, side) joins another probe's task queues instead of new ones."""
    run = uuid.uuid4().hex[:8]
    queue, side = queues or (f"bench-{mode}-{run}", f"bench-{mode}-side-{run}")
    log_dir = ctx.stack.config.log_dir
    out = log_dir / f"probe-{mode}-{run}.json"
    argv = [
        sys.executable, "-m", "bench.probe", mode,
        "--address", ctx.stack.temporal_address,
        "--queue", queue, "--side-queue", side,
        "--rate", str(rate), "--out", str(out),
    ]  # fmt: skip
    proc = spawn(f"probe-{mode}-{run}", argv, base_env(), log_dir)
    await asyncio.sleep(STARTUP_S)
    proc.check_alive()
    return Probe(proc, queue, side, out)


async def stop_floor(probe: Probe) -> list[float]:
    await asyncio.to_thread(probe.stop)
    latencies = probe.result().get("latencies_ms", [])
    return [float(x) for x in latencies]
