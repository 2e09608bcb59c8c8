"""Drive a refund cell: a session completed without faults, then one refund (an operator's
request through the API) with the cell's fault at the acquirer, then, the faults gone, the
same request again until it answers 200 (a bound only guards a broken run)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from api.operator_keys import create_key
from tests.api.support import auth
from tests.faults.cells import Cell
from tests.faults.expect import completed
from tests.faults.lanes import LaneStack
from tests.faults.observation import Observation
from tests.faults.worker_kill import WorkerKiller

REFUND_MINOR = 10
RETRY_BOUND_S = 150.0
_OPERATOR_KEYS: dict[int, str] = {}  # one operator key per lane stack


def run_refund_cell(lane: LaneStack, cell: Cell) -> Observation:
    from tests.faults.drive import SessionCell  # drive.py dispatches here: import late

    obs = SessionCell(lane, replace(cell, scenario="card", acquirer=(), kill=None,
                                    expect=completed())).run()  # fmt: skip
    if obs.state != "completed":
        obs.notes.append("the session to refund did not complete")
        return obs
    key = _operator_key(lane)
    body = {
        "refund_key": f"fm-{cell.kind}",
        "amount": {"amount_minor": REFUND_MINOR, "currency": "EUR"},
        "reason": f"fault matrix {cell.id}",
    }
    lane.set_faults([], list(cell.acquirer))
    killer = WorkerKiller(lane.stack, cell.kill[0]) if cell.kill else None
    if killer:
        killer.start()
    try:
        obs.refund_first = _answer(_ask(lane, key, obs.session_id, body))
    finally:
        if killer:
            killer.finish()
            if killer.killed_at is None:
                obs.notes.append("worker never killed: the refund was not reached")
        lane.clear_faults()
    deadline = time.monotonic() + RETRY_BOUND_S
    while True:
        obs.refund_then = _answer(_ask(lane, key, obs.session_id, body))
        if obs.refund_then == "200" or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    _collect(lane, obs)
    return obs


def _operator_key(lane: LaneStack) -> str:
    if id(lane) not in _OPERATOR_KEYS:
        path = Path(lane.stack.stack.chargepay_env()["CHARGEPAY_OPERATOR_KEYS_FILE"])
        _OPERATOR_KEYS[id(lane)] = create_key(path, "alpha", "fault-matrix@example.com")[1]
    return _OPERATOR_KEYS[id(lane)]


def _ask(lane: LaneStack, key: str, session_id: str, body: dict[str, Any]) -> Any:
    return lane.stack.api.post(f"/v1/sessions/{session_id}/refunds", json=body, headers=auth(key))


def _answer(resp: Any) -> str:
    if resp.status_code == 200:
        return "200"
    try:
        error = resp.json().get("error")
    except ValueError:
        error = None
    return f"{resp.status_code} {error}" if error else str(resp.status_code)


def _collect(lane: LaneStack, obs: Observation) -> None:
    """The acquirer's refunds of the session's hold, and the credit notes on its receipt."""
    for hold in lane.stack.acquirer_truth()["holds"]:
        if hold["id"] == obs.hold_ref:
            obs.refunds = [int(r["amount_minor"]) for r in hold["refunds"]]
    terminal_key = lane.key([])
    receipt = lane.stack.api.get(
        f"/v1/sessions/{obs.session_id}/receipt", headers=auth(terminal_key)
    )
    if receipt.status_code == 200:
        obs.credit_notes = len(receipt.json()["credit_notes"])
