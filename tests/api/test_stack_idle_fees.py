"""Idle (overstay) fees end to end (real API + worker + Temporal + both emulators as
processes, docs/idle-fees.md): a full car that stays plugged in 30 minutes, with and without
a grace period; a fee that hits its cap; a charger without release detection (idle time ends
at Monta's `completed`); Monta's own idle fee billed once; the quote shows the rules."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.idle_stack import idle_fee_stack
from tests.api.stack import RunningStack, hold_start_body
from tests.api.support import auth

pytestmark = pytest.mark.timeout(600)

HOLD = 5000
# Operator rules per charge point. 101, 104 and 201 detect the unplug (the emulator's seed),
# 102 does not; 103's price group (12) has Monta's own idle fee: 10/min after 30 min.
RULES = """
[operators.alpha.idle_fees."101"]
per_minute_minor = 20
release_detection = true

[operators.alpha.idle_fees."104"]
per_minute_minor = 20
cap_minor = 300
release_detection = true

[operators.alpha.idle_fees."102"]
per_minute_minor = 20
release_detection = false

[operators.alpha.idle_fees."103"]
per_minute_minor = 20
release_detection = true

[operators.bravo.idle_fees."201"]
per_minute_minor = 20
grace_minutes = 10
release_detection = true
"""


@pytest.fixture(scope="module")
def stack(log_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    secret = "idle-fee-receipt-link-secret-000001"
    work = tmp_path_factory.mktemp("idle")
    with idle_fee_stack(log_dir, work, RULES, CHARGEPAY_RECEIPT_LINK_SECRETS=secret) as s:
        yield s


def _car(stack: RunningStack, cp: int, **car: Any) -> None:
    url = f"{stack.stack.monta_url}/_emulator/charge-points/{cp}"
    httpx.put(url, json={"car": {"battery_kwh": 1.0, **car}}, timeout=10).raise_for_status()


def _start(stack: RunningStack, terminal: str, cp: int, operator: str = "alpha") -> tuple[str, str]:
    key = stack.new_key(terminal, [cp], operator=operator)
    hold = stack.place_hold(terminal, HOLD)
    r = stack.start(key, hold_start_body(hold, cp, HOLD))
    assert r.status_code == 201, r.text
    return r.json()["session_id"], key


def _receipt(stack: RunningStack, key: str, sid: str) -> Any:
    r = stack.api.get(f"/v1/sessions/{sid}/receipt", headers=auth(key))
    assert r.status_code == 200, r.text
    return r.json()["receipt"]


def _charge(stack: RunningStack, charge_id: int) -> Any:
    return next(c for c in stack.monta_truth()["charges"] if c["id"] == charge_id)


def _stays(stack: RunningStack, terminal: str, cp: int, stay_s: float, op: str = "alpha") -> Any:
    """A 1 kWh car that stays plugged in `stay_s` after it is full, then leaves."""
    _car(stack, cp, stay_plugged_s=stay_s)
    sid, key = _start(stack, terminal, cp, op)
    final = stack.wait_state(key, sid, timeout_s=300)
    return sid, key, final


def _stopped_by_terminal(stack: RunningStack) -> Any:
    """102 cannot tell the unplug: the car stays, the terminal stops 10 minutes after
    full, Monta completes with the car still there."""
    _car(stack, 102, stay_plugged_s=4 * 3600)
    sid, key = _start(stack, "I4", 102)
    stack.wait_state(key, sid, {"charging"})
    deadline = time.monotonic() + 120
    while stack.status(key, sid)["charge_state"] != "paused" and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(10)  # 10 real minutes
    assert stack.stop(key, sid).status_code == 200
    return sid, key, stack.wait_state(key, sid, timeout_s=300)


@pytest.fixture(scope="module")
def sessions(stack: RunningStack) -> dict[str, Any]:
    """All five sessions run at once (each takes ~30 wall seconds)."""
    with ThreadPoolExecutor(5) as pool:
        runs = {
            "no_grace": pool.submit(_stays, stack, "I1", 101, 1800),
            "grace": pool.submit(_stays, stack, "I2", 201, 1800, "bravo"),
            "cap": pool.submit(_stays, stack, "I3", 104, 1800),
            "no_release": pool.submit(_stopped_by_terminal, stack),
            "monta": pool.submit(_stays, stack, "I5", 103, 2400),
        }
        return {name: run.result() for name, run in runs.items()}


def _billed_once(stack: RunningStack, key: str, sid: str, final: Any) -> Any:
    """The capture is Monta's price plus chargepay's fee (or Monta's price alone when Monta
    billed idle time), the receipt adds up to it, with exactly one idle line."""
    assert final["state"] == "completed" and final["attention"] is None, final
    idle = final["idle"]
    monta = _charge(stack, final["charge_id"])
    assert round(monta["price"] * 100) == final["price"]["amount_minor"]  # Monta's, as is
    added = idle["fee_minor"] if idle["source"] == "chargepay" else 0
    assert final["captured"]["amount_minor"] == final["price"]["amount_minor"] + added
    assert final["captured"]["amount_minor"] <= HOLD
    receipt = _receipt(stack, key, sid)
    assert receipt["total_minor"] == final["captured"]["amount_minor"]
    assert sum(line["gross_minor"] for line in receipt["lines"]) == receipt["total_minor"]
    idle_lines = [line for line in receipt["lines"] if line["kind"] == "idle_fee"]
    assert len(idle_lines) == (1 if idle["fee_minor"] else 0), receipt["lines"]
    assert receipt["idle_fee_by"] == idle["source"]
    assert receipt["idle_minutes"] == idle["minutes"]
    return idle


def test_thirty_minutes_plugged_in_after_full_without_grace(
    stack: RunningStack, sessions: dict[str, Any]
) -> None:
    sid, key, final = sessions["no_grace"]
    idle = _billed_once(stack, key, sid, final)
    assert idle["source"] == "chargepay" and idle["ended"] == "released"
    assert 29 <= float(idle["minutes"]) <= 31.5, idle
    assert idle["billable_minutes"] == idle["minutes"]
    assert abs(idle["fee_minor"] - 750) <= 40  # 30 min x 20 net x 1.25 VAT
    assert _charge(stack, final["charge_id"])["released_at"] is not None


def test_thirty_minutes_with_a_ten_minute_grace_period(
    stack: RunningStack, sessions: dict[str, Any]
) -> None:
    sid, key, final = sessions["grace"]
    idle = _billed_once(stack, key, sid, final)
    assert 29 <= float(idle["minutes"]) <= 31.5, idle
    billable = float(idle["billable_minutes"])
    assert billable == pytest.approx(float(idle["minutes"]) - 10, abs=0.01)
    assert abs(idle["fee_minor"] - 476) <= 30  # 20 min x 20 net x 1.19 VAT (bravo)


def test_idle_fees_stop_at_the_cap(stack: RunningStack, sessions: dict[str, Any]) -> None:
    sid, key, final = sessions["cap"]
    idle = _billed_once(stack, key, sid, final)
    assert float(idle["minutes"]) >= 29, idle
    assert idle["fee_minor"] == 375 and idle["capped"] == "cap"  # 300 net x 1.25


def test_without_release_detection_idle_time_ends_at_completed(
    stack: RunningStack, sessions: dict[str, Any]
) -> None:
    sid, key, final = sessions["no_release"]
    idle = _billed_once(stack, key, sid, final)
    assert idle["ended"] == "completed", idle
    # 10 minutes, plus the stop and Monta's completion after it: the car is still there.
    assert 10 <= float(idle["minutes"]) <= 13, idle
    charge = _charge(stack, final["charge_id"])
    assert charge["released_at"] is None and charge["completed_at"] is not None


def test_montas_own_idle_fee_is_billed_once(stack: RunningStack, sessions: dict[str, Any]) -> None:
    sid, key, final = sessions["monta"]
    idle = _billed_once(stack, key, sid, final)
    assert idle["source"] == "monta", idle  # the operator's rule for 103 is not applied
    assert final["captured"]["amount_minor"] == final["price"]["amount_minor"]
    assert 39 <= float(idle["minutes"]) <= 41.5, idle
    assert abs(idle["fee_minor"] - 125) <= 20  # ~10 min past Monta's 30 x 10 net x 1.25


def test_the_quote_shows_the_idle_rules_before_the_start(stack: RunningStack) -> None:
    key = stack.new_key("Q1", [101, 102, 103, 106])

    def idle_of(cp: int) -> Any:
        r = stack.api.get(f"/v1/charge-points/{cp}/quote", headers=auth(key))
        assert r.status_code == 200, r.text
        return r.json()["idle"]

    detects = idle_of(101)
    assert detects["source"] == "chargepay" and detects["ends_at"] == "released"
    assert detects["per_minute_minor"] == "25" and detects["cap_minor"] is None
    assert "until the car is unplugged" in detects["note"]
    blind = idle_of(102)
    assert blind["ends_at"] == "completed" and "cannot tell" in blind["note"]
    monta = idle_of(103)
    assert monta["source"] == "monta" and monta["grace_minutes"] == 30
    assert monta["cap_minor"] == "1250"
    assert idle_of(106) is None  # no rule, no Monta idle fee


def test_a_car_that_never_leaves_is_bounded_by_the_idle_watch(stack: RunningStack) -> None:
    """104 detects the unplug, its fee caps at 300 net: the terminal stops a full car that
    stays; Monta waits in `releasing`. Past the cap (and 15 minutes after the stop) the
    session captures energy plus the capped fee without `completed`, flagged; the car
    leaving later adds nothing."""
    _car(stack, 104, stay_plugged_s=24 * 3600)
    sid, key = _start(stack, "I6", 104)
    stack.wait_state(key, sid, {"charging"})
    deadline = time.monotonic() + 120
    while stack.status(key, sid)["charge_state"] != "paused" and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(5)
    assert stack.stop(key, sid).status_code == 200
    deadline = time.monotonic() + 120
    status = stack.status(key, sid)
    while status["captured"] is None and time.monotonic() < deadline:
        time.sleep(0.5)
        status = stack.status(key, sid)
    assert status["attention"] == "idle_watch_ended_before_completed", json.dumps(status)
    assert status["idle"]["fee_minor"] == 375 and status["idle"]["ended"] == "watch_limit"
    captured = status["captured"]["amount_minor"]
    # The last known price at the capture; a later reading may add seconds of minute fee.
    assert 0 <= status["price"]["amount_minor"] + 375 - captured <= 10, json.dumps(status)
    monta = _charge(stack, status["charge_id"])
    assert monta["state"] == "releasing" and monta["released_at"] is None
    # Waiting for Monta's final price, the session reads the charge at 1, 3, 7 minutes ...
    # after the capture, not every minute the car stays (workflows/final_price_watch.py).
    captured_at = time.time()
    time.sleep(12)  # 12 real minutes
    reads = [
        r
        for r in stack.monta_truth()["requests"]
        if r.get("operation") == "get-charge"
        and str(r.get("path", "")).endswith(f"/charges/{status['charge_id']}")
        and float(r["t"]) >= captured_at
    ]
    assert 1 <= len(reads) <= 4, [r["t"] - captured_at for r in reads]
    url = f"{stack.stack.monta_url}/_emulator/charges/{status['charge_id']}/unplug"
    httpx.post(url, timeout=10).raise_for_status()
    final = stack.wait_state(key, sid, timeout_s=120)
    assert final["state"] == "completed" and final["captured"]["amount_minor"] == captured
    # The unplug added no idle fee; only what Monta's final price adds is uncollected (I6).
    assert final["idle"]["fee_minor"] == 375 and final["idle"]["ended"] == "watch_limit"
    shortfall = final["price"]["amount_minor"] + 375 - captured
    assert final["uncollected"]["amount_minor"] == shortfall and 0 <= shortfall <= 10
