"""The few calls `worker.py` and the API make to switch logs, metrics and traces on.

Worker:
    obs = setup_worker()                      # JSON logs, /metrics on :9464, SDK runtime
    client = await Client.connect(..., runtime=obs.runtime, interceptors=obs.client_interceptors)
    Worker(client, ..., interceptors=obs.worker_interceptors)
    gauges = obs.start_gauges(client)         # one visibility poller per worker process
    ...; obs.close()

API (`create_app`):
    client_interceptors = instrument_api(app) # FastAPI spans if tracing is on
    Client.connect(..., interceptors=client_interceptors)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any, TypeVar

from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.worker import Interceptor

from observability.config import ObservabilitySettings
from observability.exposition import sdk_runtime, start_metrics_server
from observability.gauges import run_gauges
from observability.interceptor import metrics_interceptor
from observability.logging import configure_logging
from observability.tracing import TracingHandle, configure_tracing

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class WorkerObservability:
    settings: ObservabilitySettings
    runtime: Runtime | None
    tracing: TracingHandle | None
    metrics_server: ThreadingHTTPServer | None
    worker_interceptors: list[Interceptor] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def client_interceptors(self) -> list[Any]:
        """Tracing goes on the client: Temporal applies it to the workers built on it too."""
        return [self.tracing.interceptor] if self.tracing else []

    def start_gauges(self, client: Client) -> asyncio.Task[None]:
        task = asyncio.create_task(run_gauges(client, self.settings.gauges_interval_s))
        self._tasks.append(task)
        return task

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
            self.metrics_server.server_close()
        if self.tracing is not None:
            self.tracing.shutdown()


def _optional(what: str, make: Callable[[], T]) -> T | None:
    """Metrics must never stop a worker: a taken port (two workers on one host) logs."""
    try:
        return make()
    except (OSError, ValueError) as exc:
        log.warning("%s disabled: %s", what, exc)
        return None


def setup_worker(
    service: str = "worker", settings: ObservabilitySettings | None = None
) -> WorkerObservability:
    s = settings or ObservabilitySettings()
    configure_logging(service, s.log_level, s.log_format)
    runtime = _optional(
        f"Temporal SDK metrics on {s.sdk_metrics_address}",
        lambda: sdk_runtime(s.sdk_metrics_address),
    )
    # Re-serve the SDK's metrics only if this process's runtime really exports them.
    sdk_address = s.sdk_metrics_address if runtime is not None else ""
    server = None
    if s.metrics_port:
        server = _optional(
            f"/metrics on port {s.metrics_port}",
            lambda: start_metrics_server(s.metrics_host, s.metrics_port, sdk_address),
        )
    return WorkerObservability(
        settings=s,
        runtime=runtime,
        tracing=configure_tracing(service, s),
        metrics_server=server,
        worker_interceptors=[metrics_interceptor()],
    )


def setup_api_logging(settings: ObservabilitySettings | None = None) -> None:
    settings = settings or ObservabilitySettings()
    configure_logging("api", settings.log_level, settings.log_format)


def start_api_metrics(settings: ObservabilitySettings | None = None) -> ThreadingHTTPServer | None:
    """The API process's /metrics on its own listener (CHARGEPAY_API_METRICS_PORT)."""
    s = settings or ObservabilitySettings()
    if not s.api_metrics_port:
        return None
    return _optional(
        f"API /metrics on port {s.api_metrics_port}",
        lambda: start_metrics_server(s.api_metrics_host, s.api_metrics_port),
    )


def instrument_api(app: Any, settings: ObservabilitySettings | None = None) -> list[Any]:
    """With tracing on, FastAPI spans. Returns the client interceptors."""
    tracing = configure_tracing("api", settings)
    if tracing is None:
        return []
    tracing.instrument_app(app)
    app.state.tracing = tracing
    return [tracing.interceptor]
