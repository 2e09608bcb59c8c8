"""`/metrics` for the API and the worker, each on its own listener: never a route of the
API's public port, where terminals and Monta reach it.

The Temporal SDK's metrics come from its Rust core, which runs its own Prometheus exporter
on `CHARGEPAY_SDK_METRICS_ADDRESS` (loopback, 127.0.0.1:9465 by default). The worker's
`/metrics` (CHARGEPAY_METRICS_PORT, 9464) serves chargepay's registry followed by the SDK's
exposition, so Prometheus needs one scrape target per worker.
"""

from __future__ import annotations

import logging
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

log = logging.getLogger(__name__)
SDK_FETCH_TIMEOUT_S = 2.0


def sdk_runtime(sdk_metrics_address: str) -> Runtime | None:
    """A Temporal runtime exporting SDK metrics to Prometheus; pass it to `Client.connect`.

    One per process: its exporter binds `sdk_metrics_address` ("host:port").
    """
    if not sdk_metrics_address:
        return None
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=sdk_metrics_address, durations_as_seconds=True)
        )
    )


def _fetch_sdk(sdk_metrics_address: str) -> bytes:
    url = f"http://{sdk_metrics_address}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=SDK_FETCH_TIMEOUT_S) as resp:
            body: bytes = resp.read()
            return body
    except OSError as exc:
        log.warning("Temporal SDK metrics unavailable at %s: %s", url, exc)
        return b"# Temporal SDK metrics unavailable\n"


def metrics_text(sdk_metrics_address: str = "", registry: CollectorRegistry = REGISTRY) -> bytes:
    body = generate_latest(registry)
    if sdk_metrics_address:
        body += _fetch_sdk(sdk_metrics_address)
    return body


def start_metrics_server(
    host: str, port: int, sdk_metrics_address: str = "", registry: CollectorRegistry = REGISTRY
) -> ThreadingHTTPServer:
    """Serve GET /metrics (chargepay + SDK) on a daemon thread; `.shutdown()` to stop."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] not in ("/metrics", "/"):
                self.send_error(404)
                return
            body = metrics_text(sdk_metrics_address, registry)
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE_LATEST)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per scrape is noise

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
