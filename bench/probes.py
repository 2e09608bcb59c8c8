"""Run bench.probe in its own process (bare-workflow worker, the floor probe)."""

from __future__ import annotations

import asyncio
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.context import BenchContext
from devstack.procs import Proc, base_env, spawn

STARTUP_S = 3.0  # imports + worker poll start before the probe measures anything
BURST_TIMEOUT_S = 300.0


@dataclass
class Probe:
    proc: Proc
    queue: str
    side_queue: str
    out: Path

    def stop(self) -> None:
        self.proc.stop(timeout_s=60.0)


def spawn_probe(
    ctx: BenchContext, mode: str, queues: tuple[str, str] | None, *extra: str
) -> tuple[Proc, str, str, Path]:
    run = uuid.uuid4().hex[:8]
    queue, side = queues or (f"bench-{mode}-{run}", f"bench-{mode}-side-{run}")
    log_dir = ctx.stack.config.log_dir
    out = log_dir / f"probe-{mode}-{run}.json"
    argv = [
        sys.executable, "-m", "bench.probe", mode,
        "--address", ctx.stack.temporal_address,
        "--queue", queue, "--side-queue", side, "--out", str(out), *extra,
    ]  # fmt: skip
    return spawn(f"probe-{mode}-{run}", argv, base_env(), log_dir), queue, side, out


async def start_probe(
    ctx: BenchContext, mode: str, rate: float = 5.0, queues: tuple[str, str] | None = None
) -> Probe:
    """`queues` (main, side) joins another probe's task queues instead of new ones."""
    proc, queue, side, out = spawn_probe(ctx, mode, queues, "--rate", str(rate))
    await asyncio.sleep(STARTUP_S)
    proc.check_alive()
    return Probe(proc, queue, side, out)
