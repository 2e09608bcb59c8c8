"""setup_worker: metrics on configured ports, and never a crash when a port is taken."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import httpx
import pytest

from observability.config import ObservabilitySettings
from observability.wiring import setup_worker
from tests.support.processes import free_port


@pytest.fixture(autouse=True)
def keep_root_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_worker_serves_metrics_with_sdk_runtime() -> None:
    port = free_port()
    obs = setup_worker(
        "worker",
        ObservabilitySettings(
            metrics_host="127.0.0.1",
            metrics_port=port,
            sdk_metrics_address=f"127.0.0.1:{free_port()}",
            otel_endpoint="",
        ),
    )
    try:
        assert obs.runtime is not None and obs.tracing is None
        assert obs.client_interceptors == [] and len(obs.worker_interceptors) == 1
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert "# TYPE chargepay_sessions_total counter" in text
        assert "Temporal SDK metrics unavailable" not in text
    finally:
        obs.close()


def test_taken_ports_disable_metrics_instead_of_failing() -> None:
    with socket.socket() as a, socket.socket() as b:
        for s in (a, b):
            s.bind(("127.0.0.1", 0))
            s.listen()
        obs = setup_worker(
            "worker",
            ObservabilitySettings(
                metrics_host="127.0.0.1",
                metrics_port=a.getsockname()[1],
                sdk_metrics_address=f"127.0.0.1:{b.getsockname()[1]}",
                otel_endpoint="",
            ),
        )
        try:
            assert obs.metrics_server is None and obs.runtime is None
        finally:
            obs.close()
