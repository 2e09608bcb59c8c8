"""One trace from the API request through the workflow and its activity to the outbound HTTP
call, seen by an in-memory span exporter."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from observability.config import ObservabilitySettings
from observability.tracing import (
    TracingHandle,
    build_tracing,
    configure_tracing,
    otlp_traces_url,
    tracing_available,
)
from tests.observability import flows
from tests.observability.support import connect, running_worker, serving

pytestmark = pytest.mark.skipif(
    not tracing_available(), reason="OpenTelemetry packages are not installed"
)


@pytest.fixture
def tracing() -> Iterator[tuple[TracingHandle, Any]]:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    handle = build_tracing("test", exporter, batch=False)
    try:
        yield handle, exporter
    finally:
        handle.shutdown()


def test_off_without_an_endpoint() -> None:
    assert configure_tracing("api", ObservabilitySettings(otel_endpoint="")) is None


def test_otlp_url() -> None:
    assert otlp_traces_url("http://collector:4318/") == "http://collector:4318/v1/traces"
    assert otlp_traces_url("http://c:4318/v1/traces") == "http://c:4318/v1/traces"


def _parent_name(span: Any, spans: Sequence[Any]) -> str | None:
    if span.parent is None:
        return None
    return next((s.name for s in spans if s.context.span_id == span.parent.span_id), None)


async def test_api_to_workflow_to_activity_to_http(
    temporal_env: WorkflowEnvironment, tracing: tuple[TracingHandle, Any]
) -> None:
    handle, exporter = tracing
    client = await connect(temporal_env, interceptors=[handle.interceptor])
    app = FastAPI()
    where: dict[str, str] = {}

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/start")
    async def start() -> dict[str, int]:
        wf = await client.start_workflow(
            flows.TracedWorkflow.run,
            f"{where['base']}/ping",
            id=f"traced-{uuid.uuid4().hex[:8]}",
            task_queue=where["queue"],
        )
        return {"status": await wf.result()}

    handle.instrument_app(app)
    async with (
        serving(app) as base,
        running_worker(client, [flows.TracedWorkflow], [flows.http_get]) as queue,
    ):
        where.update(base=base, queue=queue)
        async with httpx.AsyncClient(timeout=30) as http:
            resp = await http.post(f"{base}/start")
    assert resp.json() == {"status": 200}

    spans = exporter.get_finished_spans()
    parent = {s.name: _parent_name(s, spans) for s in spans}
    # The legacy TracingInterceptor hangs the workflow's own (zero-length) spans and the
    # activities it schedules side by side under the client's StartWorkflow span.
    assert parent["StartWorkflow:ObsTracedWorkflow"] == "POST /start"
    assert parent["RunWorkflow:ObsTracedWorkflow"] == "StartWorkflow:ObsTracedWorkflow"
    assert parent["StartActivity:obs_http_get"] == "StartWorkflow:ObsTracedWorkflow"
    assert parent["RunActivity:obs_http_get"] == "StartActivity:obs_http_get"
    assert parent["GET"] == "RunActivity:obs_http_get"  # the activity's httpx call
    assert parent["GET /ping"] == "GET"  # ... received by the server it called
    assert len({s.context.trace_id for s in spans}) == 1
