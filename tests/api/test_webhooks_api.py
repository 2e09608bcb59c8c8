"""The webhook route against a real Temporal dev server and the stand-in workflow."""

from __future__ import annotations

import uuid

from core import signature
from tests.api.conftest import ApiHarness
from tests.api.support import (
    ALPHA_SECRET,
    auth,
    charge_entry,
    new_key,
    session_body,
    signed_batch,
)

URL = "/v1/webhooks/monta/alpha"


async def _session(api: ApiHarness) -> str:
    key = new_key(api.keys_file, f"W{uuid.uuid4().hex[:6]}", [101])
    body = session_body(f"tx_{uuid.uuid4().hex[:10]}")
    r = await api.http.post("/v1/sessions", json=body, headers=auth(key))
    assert r.status_code == 201, r.text
    return str(r.json()["session_id"])


async def _signals(api: ApiHarness, sid: str) -> tuple[int, str]:
    status = await api.env.client.get_workflow_handle(sid).query("status")
    return int(status["last_error"]), str(status["consumed_kwh"])


async def test_signed_batch_signals_newest_snapshot_once(api_app: ApiHarness) -> None:
    sid = await _session(api_app)
    raw, headers = signed_batch(
        [
            charge_entry(sid, 1, "2.5", "2026-01-01T10:00:05Z"),
            charge_entry(sid, 1, "1.0", "2026-01-01T10:00:01Z"),  # older: coalesced away
            charge_entry("someone-else", 2, "9", "2026-01-01T10:00:01Z"),
            charge_entry(None, 3, "9", "2026-01-01T10:00:01Z"),
            charge_entry("session-bravo-X-y", 4, "9", "2026-01-01T10:00:01Z"),
        ]
    )
    r = await api_app.http.post(URL, content=raw, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["signalled"] == 1 and r.json()["not_ours"] == 3
    assert await _signals(api_app, sid) == (1, "2.5")


async def test_bad_or_missing_signature_is_401_and_signals_nothing(api_app: ApiHarness) -> None:
    sid = await _session(api_app)
    raw, headers = signed_batch([charge_entry(sid, 1, "2", "2026-01-01T10:00:00Z")], "wrong")
    r = await api_app.http.post(URL, content=raw, headers=headers)
    assert r.status_code == 401 and r.json()["error"] == "invalid_signature"
    r = await api_app.http.post(URL, content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 401
    assert await _signals(api_app, sid) == (0, "0")


async def test_finished_session_counts_as_accepted(api_app: ApiHarness) -> None:
    sid = await _session(api_app)
    await api_app.env.client.get_workflow_handle(sid).execute_update(
        "request_stop", {"reason": "test"}
    )
    await api_app.env.client.get_workflow_handle(sid).result()
    raw, headers = signed_batch([charge_entry(sid, 5, "3", "2026-01-01T10:00:00Z")])
    r = await api_app.http.post(URL, content=raw, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["finished"] == 1


async def test_unknown_session_id_is_accepted_and_ignored(api_app: ApiHarness) -> None:
    raw, headers = signed_batch(
        [charge_entry("session-alpha-T0-never_started", 6, "3", "2026-01-01T10:00:00Z")]
    )
    r = await api_app.http.post(URL, content=raw, headers=headers)
    assert r.status_code == 200 and r.json()["finished"] == 1


async def test_body_cap_unknown_operator_and_garbage(api_app: ApiHarness) -> None:
    big = b"x" * (api_app.settings.webhook_max_body_bytes + 1)
    r = await api_app.http.post(URL, content=big)
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"
    raw, headers = signed_batch([])
    r = await api_app.http.post("/v1/webhooks/monta/nobody", content=raw, headers=headers)
    # Unknown operators are not told apart from a bad signature (no enumeration).
    assert r.status_code == 401 and r.json()["error"] == "invalid_signature"
    for garbage in (b"[1,2]", b"not json", b'{"entries": 3}'):
        sig = {signature.HEADER: signature.sign(ALPHA_SECRET, garbage)}
        r = await api_app.http.post(URL, content=garbage, headers=sig)
        assert r.status_code == 400 and r.json()["error"] == "invalid_payload"


async def test_readyz_and_healthz(api_app: ApiHarness) -> None:
    assert (await api_app.http.get("/healthz")).json() == {"status": "ok"}
    assert (await api_app.http.get("/readyz")).json() == {"status": "ready"}


async def test_readings_are_signalled_from_the_near_cap_band(api_app: ApiHarness) -> None:
    """The API knows no session's budget: of a charge drawing 1 kWh every 10 s under a
    20 kWh kwhLimit, only its first energy, the readings that keep the session's view less
    than CHARGEPAY_VIEW_MAX_LAG_S (60 s) behind Monta, and those from 0.9 of the limit on
    (the band every session's budget lies in) reach the session."""
    sid = await _session(api_app)
    charge_id = 7101  # the stand-in's charge for charge point 101
    for kwh in range(1, 21):
        at = f"2026-01-01T10:{kwh * 10 // 60:02d}:{kwh * 10 % 60:02d}Z"
        entry = charge_entry(sid, charge_id, str(kwh), at, kwh_limit="20")
        raw, headers = signed_batch([entry])
        r = await api_app.http.post(URL, content=raw, headers=headers)
        assert r.status_code == 200, r.text
    # 1 (first energy), 7 and 13 (60 s after the last one signalled), 18, 19, 20 (near cap)
    assert api_app.settings.clock.wall_seconds(api_app.settings.view_max_lag_s) == 60
    assert await _signals(api_app, sid) == (6, "20")
