"""End to end through the real stack: API + worker + Temporal + both emulators as processes."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.api.stack import RunningStack, hold_start_body
from tests.api.support import auth, charge_entry, signed_batch
from workflows.contracts import MONTA_GET_TARIFF, MONTA_STOP_CHARGE

pytestmark = pytest.mark.timeout(600)


def _body(hold: str, cp: int, amount: int = 1500, **extra: Any) -> dict[str, Any]:
    """A card-present start with the card's brand and last four, as a terminal sends them."""
    return hold_start_body(
        hold, cp, amount, **{"card_brand": "VISA", "card_last4": "4242", **extra}
    )


def _hold_truth(s: RunningStack, ref: str) -> Any:
    return next(
        h for h in s.acquirer_truth()["holds"] if ref in (h["id"], h.get("authorization_ref"))
    )


def _charges_for(s: RunningStack, session_id: str) -> list[Any]:
    return [c for c in s.monta_truth()["charges"] if c["partnerExternalId"] == session_id]


def test_start_webhooks_stop_at_budget_capture(stack: RunningStack) -> None:
    key = stack.new_key("E1", [103])
    hold = stack.place_hold("E1", 1500)
    r = stack.api.post("/v1/sessions", json=_body(hold, 103), headers=auth(key))
    assert r.status_code == 201, r.text
    started = r.json()
    assert started["charge_id"] and started["short_code"]
    final = stack.wait_state(key, started["session_id"])
    assert final["state"] == "completed", final
    assert 0 < final["captured"]["amount_minor"] <= 1500
    (charge,) = _charges_for(stack, started["session_id"])
    assert charge["state"] == "completed"
    # The session's own stop, or Monta's hard cap (kwhLimit) if the stop was slower.
    assert charge["stop_requests"] or charge["kwh_limit_crossed_at"], charge
    assert any(d["status"] == 200 for d in charge["webhook_deliveries"])
    captures = _hold_truth(stack, hold)["captures"]
    assert [c["amount_minor"] for c in captures] == [final["captured"]["amount_minor"]]
    # The API read the tariff for the start: the session froze it without reading it again
    # and began in `authorizing`.
    activities = stack.activities_of(started["session_id"])
    assert MONTA_GET_TARIFF not in activities
    assert stack.state_trail_of(started["session_id"])[:2] == ["authorizing", "starting"]
    # …and said since when, so the session asked no patch (no TemporalChangeVersion upsert).
    upserts, markers = stack.upserts_and_markers_of(started["session_id"])
    assert "core_patch" not in markers and "TemporalChangeVersion" not in upserts
    if charge["stop_requests"]:
        # Only the session stops: a local activity on its worker, else the Monta queue.
        assert "core_local_activity" in markers or MONTA_STOP_CHARGE in activities, markers


def test_idempotent_retry_returns_same_session_and_one_charge(stack: RunningStack) -> None:
    key = stack.new_key("E2", [105])
    body = _body(stack.place_hold("E2", 1500), 105)
    first = stack.api.post("/v1/sessions", json=body, headers=auth(key))
    second = stack.api.post("/v1/sessions", json=body, headers=auth(key))
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    sid = first.json()["session_id"]
    assert second.json()["session_id"] == sid
    assert second.json()["charge_id"] == first.json()["charge_id"]
    other = stack.api.post(
        "/v1/sessions",
        json={**body, "amount": {"amount_minor": 1600, "currency": "EUR"}},
        headers=auth(key),
    )
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"
    assert len(_charges_for(stack, sid)) == 1
    stack.api.post(f"/v1/sessions/{sid}/stop", headers=auth(key))
    stack.wait_state(key, sid)


def test_declined_payment_is_402_and_monta_never_called(stack: RunningStack) -> None:
    key = stack.new_key("E3", [101])
    body = {**_body("x", 101), "authorization_ref": None, "payment_token": "tok_chargeDeclined"}
    r = stack.api.post("/v1/sessions", json=body, headers=auth(key))
    assert r.status_code == 402, r.text
    assert r.json()["error"] == "payment_declined"
    assert _charges_for(stack, r.json()["details"]["status"]["session_id"]) == []


def test_busy_charge_point_is_409_and_hold_released(stack: RunningStack) -> None:
    key = stack.new_key("E4", [106])
    hold = stack.place_hold("E4", 1500)
    r = stack.api.post("/v1/sessions", json=_body(hold, 106), headers=auth(key))
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "charge_point_unavailable"
    truth = _hold_truth(stack, hold)
    assert truth["status"] == "voided" and not truth["captures"]


def test_terminal_stop(stack: RunningStack) -> None:
    key = stack.new_key("E5", [101])  # 11 kW AC: 50 EUR takes hours (minutes at scale 60)
    hold = stack.place_hold("E5", 5000)
    r = stack.api.post("/v1/sessions", json=_body(hold, 101, 5000), headers=auth(key))
    assert r.status_code == 201, r.text
    assert r.status_code == 201, r.text
    sid = r.json()["session_id"]
    charging = stack.wait_state(key, sid, {"charging", *stack_final()})
    assert charging["state"] == "charging"
    stopped = stack.api.post(
        f"/v1/sessions/{sid}/stop", json={"reason": "driver"}, headers=auth(key)
    )
    assert stopped.status_code == 200, stopped.text
    final = stack.wait_state(key, sid)
    assert final["state"] in ("completed", "voided"), final
    assert final["stop_requested_at"] is not None
    (charge,) = _charges_for(stack, sid)
    assert charge["stop_requests"], "the terminal's stop reached Monta"
    captured = final["captured"]["amount_minor"] if final["captured"] else 0
    assert captured <= 5000


def test_auth_scoping(stack: RunningStack) -> None:
    a = stack.new_key("E6", [101])
    b = stack.new_key("E7", [101, 102])
    r = stack.api.post(
        "/v1/sessions", json=_body(stack.place_hold("E7", 1500), 102), headers=auth(b)
    )
    assert r.status_code == 201, r.text
    sid = r.json()["session_id"]
    assert stack.api.get(f"/v1/sessions/{sid}").status_code == 401
    assert stack.api.get(f"/v1/sessions/{sid}", headers=auth(a)).status_code == 403
    assert stack.api.post(f"/v1/sessions/{sid}/stop", headers=auth(a)).status_code == 403
    denied = stack.api.post("/v1/sessions", json=_body("h", 102), headers=auth(a))
    assert denied.status_code == 403 and denied.json()["error"] == "charge_point_not_allowed"
    stack.api.post(f"/v1/sessions/{sid}/stop", headers=auth(b))
    stack.wait_state(b, sid)


def test_webhook_signature_replay_and_unknown_ids(stack: RunningStack) -> None:
    key = stack.new_key("E8", [104])
    r = stack.api.post(
        "/v1/sessions", json=_body(stack.place_hold("E8", 1500), 104), headers=auth(key)
    )
    assert r.status_code == 201, r.text
    sid, charge_id = r.json()["session_id"], r.json()["charge_id"]
    url = "/v1/webhooks/monta/alpha"
    forged = [charge_entry(sid, charge_id, "499", "2099-01-01T00:00:00Z")]
    raw, headers = signed_batch(forged, secret="not-the-secret")
    assert stack.api.post(url, content=raw, headers=headers).status_code == 401
    raw_unsigned, _ = signed_batch(forged)
    assert stack.api.post(url, content=raw_unsigned).status_code == 401
    assert float(stack.status(key, sid)["consumed_kwh"]) < 499  # the forged batch never landed
    # A replayed (old) snapshot changes nothing: merging keeps the newest.
    before = stack.wait_state(key, sid, {"charging", *stack_final()})
    old = [charge_entry(sid, charge_id, "0", "2000-01-01T00:00:00Z", state="starting")]
    raw, headers = signed_batch(old)
    for _ in range(2):
        ok = stack.api.post(url, content=raw, headers=headers)
        # Signalled (merge ignores it) or, once the API signalled newer, coalesced away.
        assert ok.status_code == 200 and ok.json()["signalled"] + ok.json()["coalesced"] == 1
    after = stack.status(key, sid)
    assert after["state"] == before["state"] or after["state"] in stack_final() | {
        "stopping",
        "settling",
    }
    assert float(after["consumed_kwh"]) >= float(before["consumed_kwh"])
    unknown = [
        charge_entry("session-alpha-E8-never_started", 999999, "1", "2026-01-01T00:00:00Z"),
        charge_entry("someone-elses-id", 999998, "1", "2026-01-01T00:00:00Z"),
    ]
    raw, headers = signed_batch(unknown)
    ack = stack.api.post(url, content=raw, headers=headers)
    assert ack.status_code == 200, ack.text
    assert ack.json()["finished"] == 1 and ack.json()["not_ours"] == 1
    stack.api.post(f"/v1/sessions/{sid}/stop", headers=auth(key))
    stack.wait_state(key, sid)


def stack_final() -> set[str]:
    return {"completed", "voided", "declined", "start_failed", "rejected"}


def test_the_list_shows_the_holds_card_not_the_terminals(stack: RunningStack) -> None:
    """[4 of 7]: the acquirer's last 4 digits win over what the terminal sent."""
    key = stack.new_key("E9", [101])
    hold = stack.place_hold("E9", 5000)  # APPROVED_CARD ends in 4242
    r = stack.api.post(
        "/v1/sessions", json=_body(hold, 101, 5000, card_last4="3333"), headers=auth(key)
    )
    assert r.status_code == 201, r.text
    sid = r.json()["session_id"]
    shown = None
    deadline = time.monotonic() + 60  # visibility is eventually consistent: a bound
    while time.monotonic() < deadline and shown != "4242":
        listed = stack.api.get("/v1/sessions", headers=auth(key)).json()["sessions"]
        shown = next((s["card_last4"] for s in listed if s["session_id"] == sid), None)
        time.sleep(0.5)
    stack.stop(key, sid)
    stack.wait_state(key, sid)
    assert shown == "4242"


def test_a_charge_point_of_another_operator_is_403_and_nothing_starts(
    stack: RunningStack,
) -> None:
    """[3 of 7] finding 7: a key mapped to another operator's charge point (201 is bravo's)
    gets a clear 403 before any session exists; the hold is left as it was."""
    key = stack.new_key("E10", [201])  # an alpha terminal mapped to bravo's point
    hold = stack.place_hold("E10", 1500)
    body = _body(hold, 201)
    r = stack.api.post("/v1/sessions", json=body, headers=auth(key))
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "charge_point_not_allowed"
    sid = f"session-alpha-E10-{body['terminal_transaction_id']}"
    assert stack.api.get(f"/v1/sessions/{sid}", headers=auth(key)).status_code == 404
    assert _hold_truth(stack, hold)["status"] == "open"
    assert _charges_for(stack, sid) == []
