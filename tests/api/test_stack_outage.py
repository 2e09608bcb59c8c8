"""Temporal down: webhooks answer 503, Monta redelivers, and the session still settles."""

from __future__ import annotations

import uuid

import pytest

from tests.api.stack import RunningStack
from tests.api.support import auth, charge_entry, signed_batch

pytestmark = pytest.mark.timeout(600)


def test_temporal_down_webhook_503_then_redelivery_succeeds(stack: RunningStack) -> None:
    key = stack.new_key("O1", [103])
    hold = stack.place_hold("O1", 1500)
    body = {
        "terminal_transaction_id": f"out_{uuid.uuid4().hex[:8]}",
        "charge_point_id": 103,
        "amount": {"amount_minor": 1500, "currency": "EUR"},
        "authorization_ref": hold,
    }
    r = stack.api.post("/v1/sessions", json=body, headers=auth(key))
    assert r.status_code == 201, r.text
    sid, charge_id = r.json()["session_id"], r.json()["charge_id"]
    stack.stack.stop_temporal()
    try:
        raw, headers = signed_batch([charge_entry(sid, charge_id, "1", "2026-01-01T00:00:00Z")])
        down = stack.api.post("/v1/webhooks/monta/alpha", content=raw, headers=headers)
        assert down.status_code == 503 and down.json()["error"] == "temporal_unavailable"
    finally:
        stack.stack.start_temporal()
    final = stack.wait_state(key, sid)
    assert final["state"] == "completed", final
    (charge,) = [c for c in stack.monta_truth()["charges"] if c["partnerExternalId"] == sid]
    statuses = [d["status"] for d in charge["webhook_deliveries"]]
    # Monta's own deliveries met the outage (503) and a later redelivery was accepted.
    assert 503 in statuses, str(statuses)
    assert 200 in statuses[statuses.index(503) :], statuses
