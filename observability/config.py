"""Observability knobs, read from the environment like `settings.Settings` (prefix CHARGEPAY_).

Kept apart from the lead's settings so logging/metrics/tracing can be configured before
anything else is imported; OpenTelemetry's own `OTEL_EXPORTER_OTLP_ENDPOINT` also switches
tracing on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ObservabilitySettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CHARGEPAY_", env_file=".env", extra="ignore", frozen=True
    )

    log_format: Literal["json", "text"] = "json"
    log_level: str = "INFO"

    # The worker's /metrics (chargepay's metrics + the Temporal SDK's, one scrape target).
    # Loopback unless told otherwise: metrics name operators and versions, so they are for
    # the scraper, never for whoever reaches the host (compose sets 0.0.0.0 on its network).
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9464  # 0 = no metrics server
    # The API's /metrics: its own listener, never a route on the public port.
    api_metrics_host: str = "127.0.0.1"
    api_metrics_port: int = 9463  # 0 = no metrics server
    # Where the Temporal SDK runtime's own Prometheus exporter binds; the worker's /metrics
    # re-serves it, so it stays on loopback. Empty = no SDK metrics.
    sdk_metrics_address: str = "127.0.0.1:9465"
    # Visibility-backed gauges (sessions per state, oldest state age): how often to refresh.
    gauges_interval_s: float = 30.0

    # Tracing is off unless an OTLP endpoint is configured.
    otel_endpoint: str = Field(
        default="",
        validation_alias=AliasChoices("CHARGEPAY_OTEL_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"),
    )
    otel_service_namespace: str = "chargepay"
