"""Run bench.probe in its own process (floor probes, bare-workflow worker) and collect it."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Sequence
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


def _spawn(
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
    proc, queue, side, out = _spawn(ctx, mode, queues, "--rate", str(rate))
    await asyncio.sleep(STARTUP_S)
    proc.check_alive()
    return Probe(proc, queue, side, out)


async def burst_floor(ctx: BenchContext, plan: Sequence[tuple[float, int]]) -> list[float]:
    """Replay crossing batches on bare workflows (bench.probe `burst`); its latencies."""
    if not plan:
        return []
    sched = ctx.stack.config.log_dir / f"burst-{uuid.uuid4().hex[:8]}.json"
    sched.write_text(json.dumps(plan))
    proc, _, _, out = _spawn(ctx, "burst", None, "--schedule", str(sched))
    assert proc.popen is not None
    popen = proc.popen
    try:
        code = await asyncio.wait_for(asyncio.to_thread(popen.wait), BURST_TIMEOUT_S)
    except TimeoutError:
        proc.kill()
        raise
    if code != 0:
        tail = proc.log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{proc.name} exited with {code}:\n{tail}")
    return _latencies(out)


async def stop_floor(probe: Probe) -> list[float]:
    await asyncio.to_thread(probe.stop)
    return _latencies(probe.out)


def _latencies(out: Path) -> list[float]:
    data = json.loads(out.read_text()) if out.exists() else {}
    return [float(x) for x in data.get("latencies_ms", [])]
