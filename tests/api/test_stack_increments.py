"""Incremental authorization end to end (real API + worker + Temporal + both emulators as
processes, docs/increments.md): increments on for operator alpha, ceiling €100, token starts
blocking €25 first. What is asserted is the acquirer emulator's own record of the hold (its
amount, the increments applied and their keys) and the capture.

The numbers (AC, 45 c/kWh net + 25 % VAT, 240x): €25 buys 40 kWh, €50 82, €75 124. The
session asks 22 kWh ahead (a lead of an hour at 22 kW), which covers an increment's
10-second timeout (40 minutes of charging at 240x): about 18, 60 and 102 kWh.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.operators_file import write_operators_file
from tests.api.stack import RunningStack, hold_start_body, running_stack, worker_script
from tests.support.acquirer import fault_rule
from workflows.contracts import FINAL_STATES

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

SCALE = 240.0
FIRST_MINOR, STEP_MINOR, CEILING_MINOR = 2500, 2500, 10000
FAST_AC = 102  # 22 kW
EXTRA = 100001  # the emulator's extra AC points (11 kW): one per test
ENV = {
    "CHARGEPAY_INCREMENT_LEAD_S": "3600",
    "CHARGEPAY_INCREMENT_MIN_MINOR": str(STEP_MINOR),
    "CHARGEPAY_INCREMENT_STEP_MINOR": str(STEP_MINOR),
    "CHARGEPAY_INCREMENT_TIMEOUT_S": "10",
    # A client deadline the after-commit fault (3 s) outlasts.
    "CHARGEPAY_PAYMENTS_TIMEOUT_S": "2",
}
BOUND_S = 240.0  # guards a broken run only


@pytest.fixture(scope="module")
def stack(log_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    if not worker_script().exists():
        pytest.skip("worker.py is missing: the real stack cannot run sessions")
    operators = write_operators_file(
        tmp_path_factory.mktemp("operators") / "operators.toml",
        {"alpha": {"increment_ceiling_minor": CEILING_MINOR, "first_hold_minor": FIRST_MINOR}},
    )
    env = {**ENV, "CHARGEPAY_OPERATORS_FILE": str(operators)}
    with running_stack(
        log_dir, time_scale=SCALE, env=env, monta_env={"MONTA_EMU_EXTRA_POINTS": "8"}
    ) as s:
        yield s


@pytest.fixture(autouse=True)
def no_faults(stack: RunningStack) -> Iterator[None]:
    _faults(stack, [])
    yield
    _faults(stack, [])


def _faults(stack: RunningStack, rules: list[dict[str, Any]]) -> None:
    url = f"{stack.stack.payments_url}/_emulator/faults"
    httpx.put(url, json={"rules": rules}, timeout=10).raise_for_status()


def _big_battery(stack: RunningStack, cp: int) -> None:
    url = f"{stack.stack.monta_url}/_emulator/charge-points/{cp}"
    httpx.put(url, json={"car": {"battery_kwh": 400}}, timeout=10).raise_for_status()


def _until(
    stack: RunningStack, key: str, sid: str, done: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    deadline = time.monotonic() + BOUND_S
    while True:
        status: dict[str, Any] = stack.status(key, sid)
        if done(status) or status["state"] in FINAL_STATES or time.monotonic() > deadline:
            return status
        time.sleep(0.25)


def _hold(stack: RunningStack, hold_id: str) -> dict[str, Any]:
    return next(h for h in stack.acquirer_truth()["holds"] if h["id"] == hold_id)


def _monta_price_minor(stack: RunningStack, sid: str) -> int:
    charges = [c for c in stack.monta_truth()["charges"] if c["partnerExternalId"] == sid]
    assert len(charges) == 1
    return round(float(charges[0]["price"] or 0) * 100)


def _card_session(stack: RunningStack, terminal: str, cp: int) -> tuple[str, str, str]:
    key = stack.new_key(terminal, [cp])
    hold = stack.place_hold(terminal, FIRST_MINOR)
    resp = stack.start(key, hold_start_body(hold, cp, FIRST_MINOR))
    assert resp.status_code == 201, resp.text
    return resp.json()["session_id"], key, hold


def _grown_then_stopped(stack: RunningStack, key: str, sid: str, increments: int) -> Any:
    now = _until(stack, key, sid, lambda s: len(s["increments"]) >= increments)
    assert now["state"] == "charging" and len(now["increments"]) == increments, now
    assert stack.stop(key, sid).status_code == 200
    return stack.wait_state(key, sid, timeout_s=BOUND_S)


def _captured_is_the_price(stack: RunningStack, sid: str, final: Any, hold: Any) -> int:
    captured = int(final["captured"]["amount_minor"])
    assert [c["amount_minor"] for c in hold["captures"]] == [captured]
    assert captured == final["price"]["amount_minor"] == _monta_price_minor(stack, sid)
    assert 0 < captured <= hold["amount_minor"]
    return captured


def test_a_session_grows_from_25_to_100_in_three_increments(stack: RunningStack) -> None:
    _big_battery(stack, FAST_AC)
    sid, key, hold_id = _card_session(stack, "INC1", FAST_AC)
    final = _grown_then_stopped(stack, key, sid, 3)
    assert final["state"] == "completed", final
    hold = _hold(stack, hold_id)
    assert hold["amount_minor"] == CEILING_MINOR and hold["status"] == "captured"
    assert [i["amount_minor"] for i in hold["increments"]] == [2500, 2500, 2500]
    assert [i["new_total_minor"] for i in hold["increments"]] == [5000, 7500, 10000]
    keys = [i["idempotency_key"] for i in hold["increments"]]
    assert keys == [f"{sid}/increment/{n}" for n in (1, 2, 3)]
    assert [i["authorized"]["amount_minor"] for i in final["increments"]] == [5000, 7500, 10000]
    assert final["authorized"]["amount_minor"] == CEILING_MINOR
    assert final["increments_ended"] == "ceiling"
    # Past what €50 buys: the charge used the grown hold.
    assert _captured_is_the_price(stack, sid, final, hold) > 5000


def test_a_token_start_blocks_the_first_hold_and_an_increment_is_approved(
    stack: RunningStack,
) -> None:
    cp = EXTRA
    key = stack.new_key("INC2", [cp])
    body = {
        "terminal_transaction_id": f"tx_inc2_{int(time.time())}",
        "charge_point_id": cp,
        "amount": {"amount_minor": CEILING_MINOR, "currency": "EUR"},
        "payment_token": "tok_visa",
        "card_brand": "VISA",
        "card_last4": "4242",
    }
    resp = stack.start(key, body)
    assert resp.status_code == 201, resp.text
    sid = resp.json()["session_id"]
    final = _grown_then_stopped(stack, key, sid, 1)
    assert final["state"] == "completed", final
    hold = _hold(stack, final["authorization_id"])
    # €100 asked for, €25 blocked first, one €25 increment.
    assert [i["amount_minor"] for i in hold["increments"]] == [2500]
    assert hold["amount_minor"] == 5000 and hold["card_present"] is False
    assert final["increments_ended"] is None
    _captured_is_the_price(stack, sid, final, hold)


@pytest.mark.parametrize(
    ("cp", "rule", "ended"),
    [
        (EXTRA + 1, fault_rule("increment", "4xx", status=402), "declined"),
        (
            EXTRA + 2,
            fault_rule("increment", "4xx", status=400, error_type="increment_unsupported"),
            "unsupported",
        ),
    ],
    ids=["declined", "unsupported"],
)
def test_a_failed_increment_stops_the_session_at_its_hold(
    stack: RunningStack, cp: int, rule: dict[str, Any], ended: str
) -> None:
    _faults(stack, [rule])
    sid, key, hold_id = _card_session(stack, f"INC{cp}", cp)
    final = stack.wait_state(key, sid, timeout_s=BOUND_S)  # no stop: it stops itself
    assert final["state"] == "completed" and final["reason"] == "kwh_budget", final
    assert final["increments"] == [] and final["increments_ended"] == ended
    hold = _hold(stack, hold_id)
    assert hold["amount_minor"] == FIRST_MINOR and hold["increments"] == []
    # It charges on to a reading short of what the hold buys (40 kWh, about €23.60), not a
    # whole increment lead short (29 kWh, €17.60).
    assert 0.85 * FIRST_MINOR < _captured_is_the_price(stack, sid, final, hold) <= FIRST_MINOR


def test_an_increment_that_timed_out_after_commit_is_applied_once(stack: RunningStack) -> None:
    _faults(stack, [fault_rule("increment", "timeout_after_commit", count=1, delay_s=3.0)])
    sid, key, hold_id = _card_session(stack, "INC4", EXTRA + 3)
    final = _grown_then_stopped(stack, key, sid, 1)
    assert final["state"] == "completed", final
    hold = _hold(stack, hold_id)
    # The acquirer committed, its answer was lost; the retry under the same key was
    # answered the first result: one increment, not two.
    assert [i["idempotency_key"] for i in hold["increments"]] == [f"{sid}/increment/1"]
    assert hold["amount_minor"] == 5000 == final["authorized"]["amount_minor"]
    faults = httpx.get(f"{stack.stack.payments_url}/_emulator/faults", timeout=10).json()
    assert faults["rules"][0]["fired"] == 1  # the fault did strike
    _captured_is_the_price(stack, sid, final, hold)
