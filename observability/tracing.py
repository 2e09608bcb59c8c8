"""OpenTelemetry tracing across API -> workflow -> activities -> Monta/acquirer HTTP calls.

Off unless an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` or
`CHARGEPAY_OTEL_ENDPOINT`, OTLP over HTTP, e.g. `http://otel-collector:4318`). When on:
spans go to that endpoint in batches, Temporal calls carry the trace context in a header
(`temporalio.contrib.opentelemetry.TracingInterceptor`: add `handle.interceptor` to the
client's or worker's interceptors), every httpx client is instrumented, and the API
instruments its FastAPI app with `handle.instrument_app(app)`.

The OpenTelemetry packages are optional at import time: without them `configure_tracing`
logs once and returns None, so nothing else has to care.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from observability.config import ObservabilitySettings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from temporalio.contrib.opentelemetry import TracingInterceptor

log = logging.getLogger(__name__)
REQUIRED_PACKAGES = (
    "opentelemetry-api",
    "opentelemetry-sdk",
    "opentelemetry-instrumentation-httpx",
    "opentelemetry-instrumentation-fastapi",
    "opentelemetry-exporter-otlp-proto-http",
)


def tracing_available() -> bool:
    try:
        import opentelemetry.exporter.otlp.proto.http.trace_exporter
        import opentelemetry.instrumentation.fastapi
        import opentelemetry.instrumentation.httpx
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class TracingHandle:
    provider: TracerProvider
    interceptor: TracingInterceptor

    def instrument_app(self, app: Any) -> None:
        """Server spans for every FastAPI request (the root of the API -> workflow chain)."""
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, tracer_provider=self.provider)

    def shutdown(self) -> None:
        """Flush pending spans and undo the global httpx instrumentation."""
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor().uninstrument()
        self.provider.shutdown()


def build_tracing(
    service: str, exporter: SpanExporter, *, batch: bool = True, namespace: str = "chargepay"
) -> TracingHandle:
    """A tracer provider exporting to `exporter`, httpx instrumented, Temporal interceptor."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from temporalio.contrib.opentelemetry import TracingInterceptor

    provider = TracerProvider(
        resource=Resource.create({"service.name": service, "service.namespace": namespace})
    )
    provider.add_span_processor(
        BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
    )
    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider)
    return TracingHandle(provider, TracingInterceptor(tracer=provider.get_tracer("chargepay")))


def otlp_traces_url(endpoint: str) -> str:
    """OTLP/HTTP base endpoint -> its traces URL (as the SDK does for the env variable)."""
    base = endpoint.rstrip("/")
    return base if base.endswith("/v1/traces") else f"{base}/v1/traces"


def configure_tracing(
    service: str, settings: ObservabilitySettings | None = None
) -> TracingHandle | None:
    """Tracing for this process if an endpoint is configured, else None (tracing off)."""
    settings = settings or ObservabilitySettings()
    if not settings.otel_endpoint:
        return None
    if not tracing_available():
        log.warning("tracing configured but not installed; add: %s", " ".join(REQUIRED_PACKAGES))
        return None
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    exporter = OTLPSpanExporter(endpoint=otlp_traces_url(settings.otel_endpoint), timeout=10)
    handle = build_tracing(service, exporter, namespace=settings.otel_service_namespace)
    trace.set_tracer_provider(handle.provider)  # libraries' own spans go to the same place
    return handle
