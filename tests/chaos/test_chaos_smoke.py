"""A tiny chaos run on the real stack: a few sessions while the worker and API are SIGKILLed,
Temporal restarts and the emulators misbehave; the report must be complete and its
verdict must agree with the figures. (The full and quick runs are `make chaos[-quick]`.)"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from bench.chaos import params as presets
from bench.chaos.checks import MUST_BE_ZERO
from bench.chaos.run import run
from tests.support.processes import REPO

pytestmark = pytest.mark.timeout(600)

REQUIRED = (
    "seed",
    "sessions",
    "faults",
    "finished",
    "stuck",
    "duplicate_charges",
    "double_captures",
    "open_holds",
    "wrong_amounts",
    "captured_above_authorized",
    "lost_sessions",
    "duration_s",
)


@pytest.mark.skipif(not (REPO / "worker.py").exists(), reason="worker.py has not landed")
def test_a_small_chaos_run_reports_every_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One API and one worker: the production shape is `make chaos-quick`'s, in CI.
    monkeypatch.setenv("CHAOS_SHAPE", "single")
    params = presets.with_window(presets.quick(seed=4242, sessions=6), fault_window_s=30.0)
    params = replace(params, worker_kill_every_s=(8.0, 12.0), api_kill_every_s=(12.0, 20.0))
    report = asyncio.run(run(params, results=tmp_path, data_root=tmp_path / "data"))
    written = json.loads((tmp_path / "chaos.json").read_text())
    assert written["seed"] == 4242 and written["sessions"] == 6
    assert all(name in written for name in REQUIRED)
    assert written["passed"] == all(written[name] == 0 for name in MUST_BE_ZERO)
    assert written["faults"]["kill_worker"] >= 1 and written["faults"]["restart_temporal"] == 1
    log = (tmp_path / "chaos-quick-4242.log").read_text().splitlines()
    kinds = {json.loads(line)["kind"] for line in log}
    assert {"kill_worker", "restart_worker", "restart_temporal", "clear_faults"} <= kinds
    # The product promise: nothing lost, charged twice, captured twice or left open.
    assert report["passed"], report["problems"]
