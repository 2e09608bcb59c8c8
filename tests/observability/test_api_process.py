"""The real API process (`python -m api`): /metrics, on its own listener and not on the
public port, counts webhook batches; logs are JSON lines without card numbers."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.api.support import DEV_ENV, charge_entry, signed_batch
from tests.observability.support import value
from tests.support.processes import free_port, python_server

PAN = "4111111111111111"


def test_api_metrics_and_json_logs(log_dir: Path, tmp_path: Path) -> None:
    metrics_port = free_port()
    env = {
        **DEV_ENV,
        "CHARGEPAY_API_METRICS_PORT": str(metrics_port),
        "CHARGEPAY_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",  # nothing to signal here
        "CHARGEPAY_API_RETENTION_CHECK": "off",
        "CHARGEPAY_TERMINAL_KEYS_FILE": str(tmp_path / "keys.json"),
        "CHARGEPAY_LOG_FORMAT": "json",
    }
    # Ours by prefix but unreadable (no state, no updatedAt): logged with its id.
    unreadable = {
        "entityType": "charge",
        "payload": {"id": 7, "partnerExternalId": f"session-alpha-T1-{PAN}"},
    }
    raw, headers = signed_batch(
        [charge_entry("someone-else", 2, "1", "2026-01-01T10:00:00Z"), unreadable]
    )
    with python_server(
        ["-m", "api", "--port", "{port}"],
        env=env,
        health_path="/healthz",
        log_dir=log_dir,
        name="obs-api",
    ) as api:
        url = f"{api.url}/v1/webhooks/monta/alpha"
        ok = httpx.post(url, content=raw, headers=headers, timeout=10)
        bad = httpx.post(url, content=raw, headers={**headers, "X-Monta-Signature": "sha1=00"})
        public = httpx.get(f"{api.url}/metrics", timeout=10)
        text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        log_text = api.log_path.read_text()
    assert (ok.status_code, bad.status_code) == (200, 401), ok.text
    assert public.status_code == 404, "no /metrics on the public port"
    alpha = {"operator": "alpha"}
    assert value(text, "chargepay_webhook_batches_total", outcome="accepted", **alpha) == 1
    assert value(text, "chargepay_webhook_batches_total", outcome="bad_signature", **alpha) == 1
    assert value(text, "chargepay_webhook_entries_total", outcome="not_ours", **alpha) == 1
    assert value(text, "chargepay_webhook_entries_total", outcome="unreadable", **alpha) == 1
    assert value(text, "chargepay_webhook_last_received_timestamp_seconds", **alpha) > 0

    assert PAN not in log_text
    lines = [json.loads(line) for line in log_text.splitlines() if line.startswith("{")]
    assert lines and all(line["service"] == "api" for line in lines)
    warning = next(line for line in lines if "unreadable charge entry" in line["message"])
    assert "[PAN ****1111]" in warning["message"]
