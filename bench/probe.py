"""A separate process that serves bare workflows (`worker`: the throughput baseline's
sessions and the ingest sinks) or measures the stop-latency floor through the HTTP front
(`hookfloor`, bench/hook_probe.py), so none shares an event loop with the load driver.

    python -m bench.probe worker    --address H:P --queue Q --side-queue S
    python -m bench.probe hookfloor --address H:P --queue Q --side-queue S --out F.json \
        --config C.json [--rate 5]

Both run until SIGTERM; `hookfloor` then writes its POSTs to --out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections.abc import Sequence
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from bench.bare import BareSession, noop
from bench.hook_bare import HookSink
from bench.hook_probe import measure_hook_floor, read_args
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
            client,
            task_queue=queue,
            workflows=[BareSession, HookSink],
            activities=[noop],
            **WORKER_OPTIONS,
        ),
        Worker(client, task_queue=side_queue, activities=[noop], **WORKER_OPTIONS),
    ):
        freeze_startup_objects()  # as worker.py does: the same runtime on both sides
        await stop.wait()


async def main_async(args: argparse.Namespace) -> dict[str, object] | None:
    client = await Client.connect(args.address, data_converter=pydantic_data_converter)
    if args.mode == "worker":
        await serve_bare(client, args.queue, args.side_queue)
        return None
    hook_args = read_args(args.queue, args.config, args.rate)
    return await measure_hook_floor(client, hook_args, _stop_event(), WORKER_OPTIONS)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.probe")
    p.add_argument("mode", choices=["worker", "hookfloor"])
    p.add_argument("--address", required=True)
    p.add_argument("--queue", required=True)
    p.add_argument("--side-queue", required=True)
    p.add_argument("--rate", type=float, default=5.0, help="hookfloor: POSTs per second")
    p.add_argument("--config", help="hookfloor: JSON config (bench/hook_probe.read_args)")
    p.add_argument("--out", default="floor.json")
    args = p.parse_args(argv)
    result = event_loop.run(main_async(args))  # uvloop, as the worker
    if result is not None:
        Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
