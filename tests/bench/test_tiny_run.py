"""The whole harness on a tiny shape (`python -m bench --tiny`): it runs on the 2 API + 2
worker + nginx stack and writes every key the issue asks for, each with its definition.
No figure of it is judged: on a few sessions they mean nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.report import REQUIRED_KEYS
from devstack.ingress import NGINX_MISSING, nginx_binary

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]
DEFINED = (
    "stop_latency_ms",
    "stop_latency_from_meter_ms",
    "stop_latency_floor_ms",
    "stop_latency_vs_floor",
    "webhook_ingest",
    "cpu_ms_per_session",
    "throughput",
    "view_signals_per_session",
    "webhook_signals_per_session",
    "loadavg",
    "cpu",
)


def run_tiny(out: Path, *flags: str) -> dict[str, Any]:
    if nginx_binary() is None:
        pytest.skip(NGINX_MISSING)
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--tiny", *flags, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=850,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    doc: dict[str, Any] = json.loads((out / "latest.json").read_text())
    return doc


def test_tiny_run_writes_every_key_with_its_definition(tmp_path: Path) -> None:
    doc = run_tiny(tmp_path)
    assert [k for k in REQUIRED_KEYS if k not in doc] == []
    assert [k for k in DEFINED if k not in doc["definitions"]] == []
    assert doc["plan"]["api_processes"] == 2 and doc["plan"]["worker_processes"] == 2
    phase = doc["phases"][0]
    assert phase["floor_probe"]["posts"] > 0 and phase["floor_probe"]["not_200"] == 0
    assert doc["webhook_ingest"]["entries_signalled_share"] == 1.0
    roles = set(doc["cpu_ms_per_session"]["ours"])
    assert {"api", "nginx", "temporal", "workers", "emulators", "driver"} <= roles
    assert phase["cpu"]["cores_by_role"]["floor_probe"] >= 0
    assert (tmp_path / "latest.md").exists()


def test_with_features_holds_grow_idle_fees_are_captured_and_the_money_adds_up(
    tmp_path: Path,
) -> None:
    doc = run_tiny(tmp_path, "--features")
    assert doc["mode"] == "tiny-features"
    money = doc["phases"][0]["features"]
    assert money["figures"]["finished"] == 4, money["problems"]
    assert money["passed"], money["problems"]
    assert money["holds_grown"] == 2  # the AC sessions; the DC points keep increments off
    assert money["idle"]["charges_with_chargepay_fee"] >= 1  # the AC car that stayed 20 min
    assert doc["targets"]["features_money"]["met"] is True
