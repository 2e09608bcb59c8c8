"""Clients and workers on the session's Temporal dev server, with what a test plugs in."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support.processes import free_port


async def connect(
    env: WorkflowEnvironment, *, runtime: Runtime | None = None, interceptors: Sequence[Any] = ()
) -> Client:
    base = env.client
    return await Client.connect(
        base.service_client.config.target_host,
        namespace=base.namespace,
        data_converter=pydantic_data_converter,
        runtime=runtime,
        interceptors=list(interceptors),
    )


@asynccontextmanager
async def running_worker(
    client: Client,
    workflows: Sequence[type],
    activities: Sequence[Any],
    interceptors: Sequence[Any] = (),
) -> AsyncIterator[str]:
    """A worker on a fresh task queue; yields the queue name."""
    queue = f"obs-{uuid.uuid4().hex[:8]}"
    worker = Worker(
        client,
        task_queue=queue,
        workflows=list(workflows),
        activities=list(activities),
        interceptors=list(interceptors),
    )
    async with worker:
        yield queue


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on a free port in this process; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises what stopped the server
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Prometheus exposition text -> {(sample name, labels): value}."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    """One sample's value (0 if absent). prometheus_client's parser adds `_total` to counters
    exposed without it (the Temporal SDK's), so either spelling finds them."""
    found = samples(text)
    key = frozenset(labels.items())
    return found.get((name, key), found.get((f"{name}_total", key), 0.0))
