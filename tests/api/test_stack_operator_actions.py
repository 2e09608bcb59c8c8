"""Operator actions end to end (real API + worker + Temporal + both emulators as processes):
a capture the acquirer refuses leaves the session flagged, holding its hold (never voided,
never final with it open); an operator with an operator key, not a terminal key, gets it
out, and every action is checked against the money invariants."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.operator_keys import create_key
from tests.api.stack import RunningStack, running_stack
from tests.api.support import auth
from tests.support.acquirer import fault_rule

pytestmark = pytest.mark.timeout(600)

TIME_SCALE = 60.0


@pytest.fixture(scope="module")
def stack(log_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    keys = tmp_path_factory.mktemp("operator-keys") / "operator_keys.json"
    env = {
        "CHARGEPAY_OPERATOR_KEYS_FILE": str(keys),
        # A refused capture is flagged at once; the session's own retry stays far away,
        # so only the operator moves it on.
        "CHARGEPAY_PAYMENT_RETRY_WINDOW_S": "60",
        "CHARGEPAY_PAYMENT_RETRY_INTERVAL_S": str(24 * 3600),
    }
    with running_stack(log_dir, time_scale=TIME_SCALE, env=env) as s:
        yield s


def _operator_key(stack: RunningStack, operator: str = "alpha") -> str:
    path = Path(stack.stack.chargepay_env()["CHARGEPAY_OPERATOR_KEYS_FILE"])
    return create_key(path, operator, "alice@example.com")[1]


def _acquirer(stack: RunningStack) -> httpx.Client:
    return httpx.Client(base_url=stack.stack.payments_url, timeout=10)


def _flagged_session(stack: RunningStack, terminal: str, cp: int) -> tuple[str, str, str]:
    """A completed charge whose capture the acquirer refused: (session, terminal key, hold)."""
    key = stack.new_key(terminal, [cp])
    hold = stack.place_hold(terminal, 1500)
    body = {
        "terminal_transaction_id": f"op_{uuid.uuid4().hex[:10]}",
        "charge_point_id": cp,
        "amount": {"amount_minor": 1500, "currency": "EUR"},
        "authorization_ref": hold,
    }
    with _acquirer(stack) as acq:
        rule = fault_rule("capture", "4xx", count=1, status=422)
        acq.put("/_emulator/faults", json={"rules": [rule]}).raise_for_status()
    started = stack.start(key, body)
    assert started.status_code == 201, started.text
    sid = started.json()["session_id"]
    stack.wait_state(key, sid, {"charging", "completed"})
    stack.stop(key, sid)
    flagged = _wait(stack, key, sid, lambda s: bool(s["attention"]) and s["state"] == "settling")
    assert flagged["attention"].startswith("capture_failed: amount_above_authorized"), flagged
    return sid, key, hold


def _wait(stack: RunningStack, key: str, sid: str, done: Any, limit_s: float = 240) -> Any:
    deadline = time.monotonic() + limit_s  # bounds a broken test only
    while time.monotonic() < deadline:
        status = stack.status(key, sid)
        if done(status):
            return status
        time.sleep(0.25)
    raise AssertionError(f"{sid} never got there: {status}")


def _hold(stack: RunningStack, ref: str) -> Any:
    holds = stack.acquirer_truth()["holds"]
    return next(h for h in holds if ref in (h["id"], h.get("authorization_ref")))


def _act(stack: RunningStack, key: str, sid: str, **body: Any) -> httpx.Response:
    body.setdefault("request_id", uuid.uuid4().hex[:12])
    body.setdefault("reason", "the driver called")
    return stack.api.post(f"/v1/operator/sessions/{sid}/actions", json=body, headers=auth(key))


def test_a_refused_capture_waits_flagged_then_an_operator_retries_it(stack: RunningStack) -> None:
    sid, key, hold = _flagged_session(stack, "OP1", 101)
    assert _hold(stack, hold)["status"] == "open"  # not voided, not final
    operator = _operator_key(stack)
    # A terminal key is no operator key; another operator's key does not reach the session.
    assert _act(stack, key, sid, action="retry_capture").status_code == 401
    assert (
        _act(stack, _operator_key(stack, "bravo"), sid, action="retry_capture").status_code == 403
    )
    # No capture above the hold, ever.
    too_much = _act(
        stack, operator, sid, action="capture", amount={"amount_minor": 1501, "currency": "EUR"}
    )
    assert too_much.status_code == 409 and too_much.json()["error"] == "amount_above_hold"
    request_id = uuid.uuid4().hex[:12]
    done = _act(stack, operator, sid, action="retry_capture", request_id=request_id)
    assert done.status_code == 200, done.text
    final = stack.wait_state(key, sid)
    assert final["state"] == "completed" and final["captured"]["amount_minor"] > 0
    assert final["uncollected"]["amount_minor"] == 0
    captures = _hold(stack, hold)["captures"]
    assert [c["amount_minor"] for c in captures] == [final["captured"]["amount_minor"]]
    # The same request again is answered, not applied twice.
    again = _act(stack, operator, sid, action="retry_capture", request_id=request_id)
    assert again.status_code in (200, 409), again.text
    assert len(_hold(stack, hold)["captures"]) == 1


def test_a_write_off_releases_the_hold_and_leaves_the_price_uncollected(
    stack: RunningStack,
) -> None:
    sid, key, hold = _flagged_session(stack, "OP2", 102)
    operator = _operator_key(stack)
    done = _act(stack, operator, sid, action="write_off", reason="goodwill")
    assert done.status_code == 200, done.text
    final = stack.wait_state(key, sid)
    assert final["state"] == "completed"
    assert final["captured"]["amount_minor"] == 0
    assert final["uncollected"]["amount_minor"] > 0  # the whole price, said as it is
    assert _hold(stack, hold)["status"] == "voided"
