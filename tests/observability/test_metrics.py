"""chargepay's metrics through a real scrape: the worker's /metrics (with the Temporal SDK's
runtime metrics) and the API's /metrics listener."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import ThreadingHTTPServer

import httpx
import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from observability.config import ObservabilitySettings
from observability.exposition import sdk_runtime, start_metrics_server
from observability.interceptor import attention_reasons, metrics_interceptor, overshoot_kwh
from observability.metrics import record_webhook_batch
from observability.wiring import start_api_metrics
from tests.observability import flows
from tests.observability.support import connect, running_worker, value
from tests.support.processes import free_port
from workflows.contracts import SessionStatus


def test_attention_reasons_are_codes() -> None:
    assert attention_reasons(None) == []
    assert attention_reasons("capture_failed: PaymentUnavailable; price_mismatch") == [
        "capture_failed",
        "price_mismatch",
    ]


def test_overshoot_is_never_negative() -> None:
    assert overshoot_kwh(Decimal("10.4"), Decimal("10")) == Decimal("0.4")
    assert overshoot_kwh(Decimal("8"), Decimal("10")) == Decimal("0")
    assert overshoot_kwh(Decimal("8"), None) is None


@pytest.fixture
def worker_metrics() -> Iterator[tuple[ThreadingHTTPServer, str]]:
    """The worker's metrics server with a Temporal runtime exporting to a loopback port."""
    sdk_address = f"127.0.0.1:{free_port()}"
    server = start_metrics_server("127.0.0.1", free_port(), sdk_address)
    try:
        yield server, sdk_address
    finally:
        server.shutdown()
        server.server_close()


SDK_SERVICE = {"service_name": "temporal-core-sdk"}


async def eventually(read: Callable[[], float], timeout_s: float = 30.0) -> float:
    """Poll until `read()` is non-zero (or the timeout passes); returns the last value."""
    deadline = time.monotonic() + timeout_s
    got = read()
    while not got and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        got = read()
    return got


def scrape(url: str) -> str:
    resp = httpx.get(url, timeout=10)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    return resp.text


def status(state: str, consumed: str, budget: str, attention: str | None = None) -> SessionStatus:
    return SessionStatus(
        session_id="x",
        state=state,
        operator="alpha",
        charge_point_id=1,
        terminal_id="T1",
        charge_id=99,
        consumed_kwh=Decimal(consumed),
        kwh_budget=Decimal(budget),
        attention=attention,
    )


async def test_worker_metrics_record_sessions_payments_stops_and_sdk(
    temporal_env: WorkflowEnvironment, worker_metrics: tuple[ThreadingHTTPServer, str]
) -> None:
    server, sdk_address = worker_metrics
    url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
    client = await connect(temporal_env, runtime=sdk_runtime(sdk_address))
    before = scrape(url)
    final = status("completed", "10.5", "10", attention="capture_failed: X")
    async with running_worker(
        client,
        [flows.FakeSession],
        [flows.fake_stop, flows.fake_capture],
        [metrics_interceptor()],
    ) as queue:
        handle = await client.start_workflow(
            flows.FakeSession.run,
            args=[final, False],
            id=f"session-alpha-T1-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
        )
        await handle.result()
        after = scrape(url)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("chargepay_sessions_total", outcome="completed") == 1
    assert grew("chargepay_sessions_attention_total", reason="capture_failed") == 1
    assert grew("chargepay_overshoot_kwh_count") == 1
    assert grew("chargepay_overshoot_kwh_sum") == pytest.approx(0.5)
    assert grew("chargepay_payments_total", operation="capture", outcome="ok") == 1
    assert grew("chargepay_stop_latency_seconds_count", operator="alpha", path="queue") == 1
    # The Temporal SDK's runtime metrics come through the same scrape.
    # The Temporal SDK's runtime metrics come through the same scrape (recorded by the SDK
    # core just after it reports the completion, so wait for them).
    sdk = {"namespace": "default", "task_queue": queue, "workflow_type": "ChargeSessionWorkflow"}
    completed = await eventually(
        lambda: value(scrape(url), "temporal_workflow_completed", **SDK_SERVICE, **sdk)
    )
    assert completed == 1

    # Replaying the finished history (a query after a cache eviction does this) counts nothing.
    history = await handle.fetch_history()
    replayer = Replayer(
        workflows=[flows.FakeSession],
        interceptors=[metrics_interceptor()],
        data_converter=pydantic_data_converter,
    )
    await replayer.replay_workflow(history)
    assert value(scrape(url), "chargepay_sessions_total", outcome="completed") == value(
        after, "chargepay_sessions_total", outcome="completed"
    )


async def test_api_metrics_listener_serves_webhook_counters() -> None:
    operator = f"op{uuid.uuid4().hex[:6]}"
    record_webhook_batch(operator, "accepted", {"signalled": 3, "not_ours": 2, "failed": 0})
    record_webhook_batch(operator, "bad_signature")
    server = start_api_metrics(
        ObservabilitySettings(api_metrics_host="127.0.0.1", api_metrics_port=free_port())
    )
    assert server is not None
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            resp = await http.get(f"http://127.0.0.1:{server.server_address[1]}/metrics")
    finally:
        server.shutdown()
        server.server_close()
    assert resp.status_code == 200
    text = resp.text
    assert (
        value(text, "chargepay_webhook_batches_total", operator=operator, outcome="accepted") == 1
    )
    assert (
        value(text, "chargepay_webhook_batches_total", operator=operator, outcome="bad_signature")
        == 1
    )
    assert (
        value(text, "chargepay_webhook_entries_total", operator=operator, outcome="signalled") == 3
    )
    assert (
        value(text, "chargepay_webhook_entries_total", operator=operator, outcome="not_ours") == 2
    )
    assert value(text, "chargepay_webhook_last_received_timestamp_seconds", operator=operator) > 0
    assert "monta_rate_limited_total" in text or "monta_rate_limited" in text
