"""A car that left while the session heard nothing (real API + worker + Temporal + both
emulators as processes): Monta's webhooks are lost after the stop and the watcher is quiet,
so the session's last view still has the car plugged in when its idle watch ends. It must
read the charge from Monta before it bills idle time up to the watch's end: the driver pays
the minutes until the unplug, not until the watch ran out (found by the chaos run with idle
fees on)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.idle_stack import idle_fee_stack
from tests.api.stack import RunningStack, hold_start_body

pytestmark = pytest.mark.timeout(600)

NEVER = "1000000000"
# 104 detects the unplug; its fee caps at 300 net (375 gross) after 15 minutes.
RULES = """
[operators.alpha.idle_fees."104"]
per_minute_minor = 20
cap_minor = 300
release_detection = true
"""
STAY_S = 300  # the car leaves 5 minutes after the stop: 100 net, 125 gross


@pytest.fixture(scope="module")
def stack(log_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    # No poll of the watcher's reaches the session: only its own read can.
    quiet = {f"CHARGEPAY_WATCHER_{name}INTERVAL_S": NEVER for name in ("", "FAST_", "SLOW_")}
    with idle_fee_stack(log_dir, tmp_path_factory.mktemp("idle-unseen"), RULES, **quiet) as s:
        yield s


def _drop_webhooks(stack: RunningStack, drop: bool) -> None:
    body = {"http": [], "webhooks": {"enabled": True, "drop_rate": 1.0 if drop else 0.0}}
    url = f"{stack.stack.monta_url}/_emulator/faults"
    httpx.put(url, json=body, timeout=10).raise_for_status()


def test_an_unplug_the_session_missed_is_read_before_idle_time_is_billed(
    stack: RunningStack,
) -> None:
    url = f"{stack.stack.monta_url}/_emulator/charge-points/104"
    car = {"battery_kwh": 1.0, "stay_plugged_s": STAY_S}
    httpx.put(url, json={"car": car}, timeout=10).raise_for_status()
    key = stack.new_key("IU1", [104])
    started = stack.start(key, hold_start_body(stack.place_hold("IU1", 5000), 104, 5000))
    assert started.status_code == 201, started.text
    sid = started.json()["session_id"]
    stack.wait_state(key, sid, {"charging"})
    deadline = time.monotonic() + 120
    while stack.status(key, sid)["charge_state"] != "paused" and time.monotonic() < deadline:
        time.sleep(0.2)
    _drop_webhooks(stack, True)
    try:
        assert stack.stop(key, sid).status_code == 200
        final = stack.wait_state(key, sid, timeout_s=180)
    finally:
        _drop_webhooks(stack, False)
    assert final["state"] == "completed", json.dumps(final)
    idle = final["idle"]
    assert idle["ended"] == "released", json.dumps(final)
    # Five minutes of idle time (a reading's worth of slack), far below the 15-minute cap.
    assert 100 <= idle["fee_minor"] <= 150, json.dumps(final)
    # Monta's price plus chargepay's own idle fee, nothing more.
    due = final["price"]["amount_minor"] + idle["fee_minor"]
    assert final["captured"]["amount_minor"] == due, json.dumps(final)
    assert final["attention"] is None, json.dumps(final)
