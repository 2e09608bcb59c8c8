"""A separate process that serves the bare workflows (`worker`) or measures the latency floor
(`floor`), so neither shares an event loop with the load driver.

    python -m bench.probe worker --address H:P --queue Q --side-queue S
    python -m bench.probe floor  --address H:P --queue Q --side-queue S --out F.json [--rate 5]

Both run until SIGTERM; `floor` then writes {"latencies_ms": [...]} to --out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
import uuid
from collections.abc import Sequence
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


async def measure_floor(
    client: Client, queue: str, side_queue: str, rate: float, local: bool
) -> dict[str, object]:
    stop = _stop_event()
    run = uuid.uuid4().hex[:8]
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
        handles = [
            await client.start_workflow(
                FloorProbe.run,
                args=[side_queue, local],
                id=f"bench-floor-{run}-{i}",
                task_queue=queue,
            )
            for i in range(FLOOR_WORKFLOWS)
        ]
        sent = await _signal_loop(handles, rate, stop)
        latencies: list[float] = []
        for h in handles:
            await h.signal(FloorProbe.finish)
            latencies += await asyncio.wait_for(h.result(), RESULT_TIMEOUT_S)
    kind = "local" if local else "regular"
    return {"sent": sent, "activity": kind, "latencies_ms": latencies}


async def main_async(args: argparse.Namespace) -> dict[str, object] | None:
    client = await Client.connect(args.address, data_converter=pydantic_data_converter)
    if args.mode == "worker":
        await serve_bare(client, args.queue, args.side_queue)
        return None
    local = args.activity == "local"
    return await measure_floor(client, args.queue, args.side_queue, args.rate, local)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.probe")
    p.add_argument("mode", choices=["worker", "floor"])
    p.add_argument("--address", required=True)
    p.add_argument("--queue", required=True)
    p.add_argument("--side-queue", required=True)
    p.add_argument("--rate", type=float, default=5.0, help="floor signals per second")
    p.add_argument("--out", default="floor.json")
    p.add_argument("--activity", choices=["local", "regular"], default="local")
    args = p.parse_args(argv)
    result = event_loop.run(main_async(args))  # uvloop, as the worker
    if result is not None:
        Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
