"""Temporal down: webhooks answer 503, Monta redelivers, and the session still settles."""

from __future__ import annotations

import time

import pytest

from tests.api.stack import RunningStack, hold_start_body
from tests.api.support import auth, charge_entry, signed_batch

pytestmark = pytest.mark.timeout(600)


def test_temporal_down_webhook_503_then_redelivery_succeeds(stack: RunningStack) -> None:
    key = stack.new_key("O1", [103])
    hold = stack.place_hold("O1", 1500)
    body = hold_start_body(hold, 103)
    r = stack.api.post("/v1/sessions", json=body, headers=auth(key))
    assert r.status_code == 201, r.text
    sid, charge_id = r.json()["session_id"], r.json()["charge_id"]
    stack.stack.stop_temporal()
    try:
        # A charge this API never signalled must be signalled (another charge id of the same
        # session: the workflow's merge would ignore it, should the signal ever land).
        foreign = charge_entry(sid, charge_id + 10**6, "1", "2026-01-01T00:00:00Z")
        raw, headers = signed_batch([foreign])
        down = stack.api.post("/v1/webhooks/monta/alpha", content=raw, headers=headers)
        assert down.status_code == 503 and down.json()["error"] == "temporal_unavailable"
        # Coalescing acks deliveries without news; wait until one that needs a signal (the
        # charge's progress, near its cap or after the max interval) meets the outage.
        _wait_for_refused_delivery(stack, sid)
    finally:
        stack.stack.start_temporal()
    final = stack.wait_state(key, sid)
    assert final["state"] == "completed", final
    (charge,) = [c for c in stack.monta_truth()["charges"] if c["partnerExternalId"] == sid]
    statuses = [d["status"] for d in charge["webhook_deliveries"]]
    # Monta's own deliveries met the outage (503) and a later redelivery was accepted.
    assert 503 in statuses, str(statuses)
    assert 200 in statuses[statuses.index(503) :], statuses


def _deliveries(stack: RunningStack, sid: str) -> list[int]:
    (charge,) = [c for c in stack.monta_truth()["charges"] if c["partnerExternalId"] == sid]
    return [int(d["status"]) for d in charge["webhook_deliveries"]]


def _wait_for_refused_delivery(stack: RunningStack, sid: str, limit_s: float = 120.0) -> None:
    deadline = time.monotonic() + limit_s
    while 503 not in _deliveries(stack, sid) and time.monotonic() < deadline:
        time.sleep(0.2)
