"""The stop-latency floor through the HTTP front, run inside bench.probe's process (mode
`hookfloor`): bare `HookFloor` workflows served here, and a loop that POSTs a signed
webhook batch naming one of them through nginx to the API replicas, `rate` times a second.

Each POST carries one fresh charge of the bench's own (its id names it in the emulator's
request log) plus `pad` older readings of the same charge, so the batch is as large as the
phase's Monta batches are on average (the API parses every entry, signals the newest).
The send instant of each POST is written out; bench/hook_floor.py pairs it with the stop's
arrival in the emulator's truth.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from bench import hook_entries, hook_stop
from bench.hook_bare import FINISH, HookFloor
from core.gc_freeze import freeze_startup_objects

FLOOR_WORKFLOWS = 10
RESULT_TIMEOUT_S = 60.0


@dataclass
class HookFloorArgs:
    queue: str
    webhook_url: str
    secret: str
    monta_url: str
    reader: tuple[str, str]
    operator: str
    template: dict[str, Any]
    rate: float
    pad: int
    first_id: int


@dataclass
class Posted:
    charge_id: int
    t_post: float
    status: int = 0
    signalled: int = 0


@dataclass
class _Loop:
    posts: list[Posted] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


async def _token(http: httpx.AsyncClient, monta_url: str, reader: tuple[str, str]) -> str:
    body = {"clientId": reader[0], "clientSecret": reader[1]}
    resp = await http.post(f"{monta_url}/api/v1/auth/token", json=body)
    resp.raise_for_status()
    return str(resp.json()["accessToken"])


async def _post(http: httpx.AsyncClient, a: HookFloorArgs, body: bytes, row: Posted) -> None:
    row.t_post = time.time()  # the instant the POST leaves, as the emulator records its own
    try:
        row.status, ack = await hook_entries.post_batch(http, a.webhook_url, a.secret, body)
        row.signalled = int(ack.get("signalled", 0))
    except httpx.HTTPError:
        row.status = -1


async def _post_loop(
    http: httpx.AsyncClient, a: HookFloorArgs, ids: list[str], stop: asyncio.Event
) -> list[Posted]:
    loop, charges = _Loop(), hook_entries.charge_ids(a.first_id)
    while not stop.is_set():
        cid, wid = next(charges), ids[len(loop.posts) % len(ids)]
        t = time.time()
        # Older readings first: the API keeps the newest per charge, as for Monta's batches.
        readings = [
            hook_entries.charge(a.template, cid, wid, step, t - (a.pad - step) * 0.001)
            for step in range(a.pad + 1)
        ]
        row = Posted(cid, t)
        loop.posts.append(row)
        task = asyncio.create_task(_post(http, a, hook_entries.batch_body(readings, t), row))
        loop.tasks.add(task)
        task.add_done_callback(loop.tasks.discard)
        try:
            await asyncio.wait_for(stop.wait(), timeout=1 / a.rate)
        except TimeoutError:
            pass
    await asyncio.gather(*loop.tasks)
    return loop.posts


async def measure_hook_floor(
    client: Client, a: HookFloorArgs, stop: asyncio.Event, worker_options: dict[str, Any]
) -> dict[str, object]:
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=20)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as http:
        token = await _token(http, a.monta_url, a.reader)
        hook_stop.configure(hook_stop.StopTarget(a.monta_url, token, http))
        async with Worker(
            client,
            task_queue=a.queue,
            workflows=[HookFloor],
            activities=[hook_stop.hook_stop],
            **worker_options,
        ):
            freeze_startup_objects()  # as worker.py does: the same runtime on both sides
            run = uuid.uuid4().hex[:8]
            handles: list[WorkflowHandle[Any, Any]] = [
                await client.start_workflow(
                    HookFloor.run,
                    id=f"session-{a.operator}-benchfloor-{run}-{i}",
                    task_queue=a.queue,
                )
                for i in range(FLOOR_WORKFLOWS)
            ]
            posts = await _post_loop(http, a, [h.id for h in handles], stop)
            stops = 0
            for h in handles:
                await h.signal(FINISH)
                stops += int(await asyncio.wait_for(h.result(), RESULT_TIMEOUT_S))
    return {"posts": [p.__dict__ for p in posts], "stops": stops, "pad": a.pad}


def read_args(queue: str, config_path: str, rate: float) -> HookFloorArgs:
    """The probe's config file (secret included: not on the command line)."""
    c = json.loads(Path(config_path).read_text())
    return HookFloorArgs(
        queue=queue,
        webhook_url=c["webhook_url"],
        secret=c["secret"],
        monta_url=c["monta_url"],
        reader=(c["reader"][0], c["reader"][1]),
        operator=c["operator"],
        template=c["template"],
        rate=rate,
        pad=int(c["pad"]),
        first_id=int(c["first_id"]),
    )
