"""A separate process that serves the bare workflows (`worker`) or measures the latency floor
(`floor`, `burst`), so none shares an event loop with the load driver.

    python -m bench.probe worker --address H:P --queue Q --side-queue S
    python -m bench.probe floor  --address H:P --queue Q --side-queue S --out F.json [--rate 5]
    python -m bench.probe burst  --address H:P --queue Q --side-queue S --out F.json --schedule P

`worker` and `floor` run until SIGTERM, `burst` until its schedule is replayed; both floors
then write {"latencies_ms": [...]} to --out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from bench.bare import GO, BareSession, FloorProbe, floor_mark, noop
from core import event_loop
from core.gc_freeze import freeze_startup_objects
from core.worker_options import worker_options
from settings import get_settings

FLOOR_WORKFLOWS = 10
BURST_SETTLE_S = 1.0
RESULT_TIMEOUT_S = 30.0
# Polled and run like chargepay's own workers, so the comparison is like for like.
_SETTINGS = get_settings()
WORKER_OPTIONS = worker_options(_SETTINGS.worker_max_pollers, _SETTINGS.workflow_sandbox)


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def serve_bare(client: Client, queue: str, side_queue: str) -> None:
    stop = _stop_event()
    async with (
        Worker(
            client, task_queue=queue, workflows=[BareSession], activities=[noop], **WORKER_OPTIONS
        ),
        Worker(client, task_queue=side_queue, activities=[noop], **WORKER_OPTIONS),
    ):
        freeze_startup_objects()  # as worker.py does: the same runtime on both sides
        await stop.wait()


async def _signal_loop(
    handles: Sequence[WorkflowHandle[FloorProbe, list[float]]], rate: float, stop: asyncio.Event
) -> int:
    """Round-robin one signal every 1/rate s; the send instant travels in the signal."""
    sent = 0
    while not stop.is_set():
        handle = handles[sent % len(handles)]
        await handle.signal(GO, time.time())
        sent += 1
        try:
            await asyncio.wait_for(stop.wait(), timeout=1 / rate)
        except TimeoutError:
            pass
    return sent


@asynccontextmanager
async def _floor_workers(client: Client, queue: str, side_queue: str) -> AsyncIterator[None]:
    async with (
        Worker(
            client,
            task_queue=queue,
            workflows=[FloorProbe],
            activities=[floor_mark],
            **WORKER_OPTIONS,
        ),
        Worker(client, task_queue=side_queue, activities=[floor_mark], **WORKER_OPTIONS),
    ):
        freeze_startup_objects()
        yield


async def _start_probes(
    client: Client, n: int, queue: str, side_queue: str, local: bool
) -> list[WorkflowHandle[FloorProbe, list[float]]]:
    run = uuid.uuid4().hex[:8]
    return [
        await client.start_workflow(
            FloorProbe.run, args=[side_queue, local], id=f"bench-floor-{run}-{i}", task_queue=queue
        )
        for i in range(n)
    ]


async def _collect(handles: Sequence[WorkflowHandle[FloorProbe, list[float]]]) -> list[float]:
    latencies: list[float] = []
    for h in handles:
        await h.signal(FloorProbe.finish)
        latencies += await asyncio.wait_for(h.result(), RESULT_TIMEOUT_S)
    return latencies


async def measure_floor(
    client: Client, queue: str, side_queue: str, rate: float, local: bool
) -> dict[str, object]:
    stop = _stop_event()
    async with _floor_workers(client, queue, side_queue):
        handles = await _start_probes(client, FLOOR_WORKFLOWS, queue, side_queue, local)
        sent = await _signal_loop(handles, rate, stop)
        latencies = await _collect(handles)
    return {"sent": sent, "activity": _kind(local), "latencies_ms": latencies}


async def measure_burst_floor(
    client: Client, queue: str, side_queue: str, plan: Sequence[tuple[float, int]], local: bool
) -> dict[str, object]:
    """Replay a phase's crossing batches (bench/bursts.schedule): at each offset, as many
    signals at once as the batch had crossings, each to a probe of its own, as each
    session gets its one stop. One send instant per batch, as one POST time per batch."""
    async with _floor_workers(client, queue, side_queue):
        handles = await _start_probes(client, sum(n for _, n in plan), queue, side_queue, local)
        await asyncio.sleep(BURST_SETTLE_S)  # the probes' first tasks are done before timing
        begin, used = time.monotonic(), 0
        for offset, n in plan:
            await asyncio.sleep(max(0.0, begin + offset - time.monotonic()))
            sent_at = time.time()
            batch = handles[used : used + n]
            used += n
            await asyncio.gather(*(h.signal(GO, sent_at) for h in batch))
        latencies = await _collect(handles)
    return {"sent": used, "activity": _kind(local), "latencies_ms": latencies}


def _kind(local: bool) -> str:
    return "local" if local else "regular"


async def main_async(args: argparse.Namespace) -> dict[str, object] | None:
    client = await Client.connect(args.address, data_converter=pydantic_data_converter)
    if args.mode == "worker":
        await serve_bare(client, args.queue, args.side_queue)
        return None
    local = args.activity == "local"
    if args.mode == "burst":
        plan = [(float(t), int(n)) for t, n in args.plan]
        return await measure_burst_floor(client, args.queue, args.side_queue, plan, local)
    return await measure_floor(client, args.queue, args.side_queue, args.rate, local)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.probe")
    p.add_argument("mode", choices=["worker", "floor", "burst"])
    p.add_argument("--address", required=True)
    p.add_argument("--queue", required=True)
    p.add_argument("--side-queue", required=True)
    p.add_argument("--rate", type=float, default=5.0, help="floor signals per second")
    p.add_argument("--schedule", help="burst: JSON [[seconds after the first, signals], ...]")
    p.add_argument("--out", default="floor.json")
    p.add_argument("--activity", choices=["local", "regular"], default="local")
    args = p.parse_args(argv)
    args.plan = json.loads(Path(args.schedule).read_text()) if args.schedule else []
    result = event_loop.run(main_async(args))  # uvloop, as the worker
    if result is not None:
        Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
