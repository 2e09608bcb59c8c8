"""The session routes' own logic against a real Temporal dev server and a stand-in workflow."""

from __future__ import annotations

import asyncio
import gc
import logging
import uuid
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.service import RPCError

from api.main import create_app
from tests.api.conftest import ApiHarness
from tests.api.support import CountingInterceptor, auth, new_key, session_body


async def _start(api: ApiHarness, key: str, body: dict[str, Any]) -> httpx.Response:
    return await api.http.post("/v1/sessions", json=body, headers=auth(key))


def _tx() -> str:
    return f"tx_{uuid.uuid4().hex[:12]}"


async def test_start_returns_201_with_charge_and_short_code(api_app: ApiHarness) -> None:
    key = new_key(api_app.keys_file, "T1", [101, 102])
    r = await api_app.http.post("/v1/sessions", json=session_body(_tx()), headers=auth(key))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "charging"
    assert body["charge_id"] == 7101
    assert body["short_code"] == "ABC123"
    assert body["terminal_id"] == "T1" and body["operator"] == "alpha"


async def test_same_request_twice_returns_same_session(api_app: ApiHarness) -> None:
    key = new_key(api_app.keys_file, "T2", [101])
    body = session_body(_tx())
    first = await api_app.http.post("/v1/sessions", json=body, headers=auth(key))
    second = await api_app.http.post("/v1/sessions", json=body, headers=auth(key))
    assert first.status_code == second.status_code == 201
    assert first.json()["session_id"] == second.json()["session_id"]
    runs = [
        wf
        async for wf in api_app.env.client.list_workflows(
            f"WorkflowId = '{first.json()['session_id']}'"
        )
    ]
    assert len(runs) == 1


async def test_same_id_different_body_is_rejected(api_app: ApiHarness) -> None:
    key = new_key(api_app.keys_file, "T3", [101, 102])
    tx = _tx()
    ok = await api_app.http.post("/v1/sessions", json=session_body(tx), headers=auth(key))
    assert ok.status_code == 201
    other = await api_app.http.post(
        "/v1/sessions", json=session_body(tx, cp=102), headers=auth(key)
    )
    assert other.status_code == 422
    assert other.json()["error"] == "idempotency_key_reused"


async def test_start_reads_nothing_besides_its_update_with_start(api_app: ApiHarness) -> None:
    """The idempotency check is the session's update validator: neither a new start nor a
    retry of a running one describes the workflow (one call to Temporal per start)."""
    counting = CountingInterceptor()
    config = api_app.env.client.config()
    config["interceptors"] = [counting]
    client = Client(**config)
    app = create_app(api_app.settings, temporal_client=client)
    key = new_key(api_app.keys_file, "T9", [101, 102])
    tx = _tx()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as h:
        first = await h.post("/v1/sessions", json=session_body(tx), headers=auth(key))
        again = await h.post("/v1/sessions", json=session_body(tx), headers=auth(key))
        assert first.status_code == again.status_code == 201
        assert counting.calls == {"start_update_with_start_workflow": 2}
        other = await h.post("/v1/sessions", json=session_body(tx, cp=102), headers=auth(key))
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"
    await api_app.http.post(f"/v1/sessions/{first.json()['session_id']}/stop", headers=auth(key))


async def test_finished_session_retry_returns_its_final_status(api_app: ApiHarness) -> None:
    key = new_key(api_app.keys_file, "T4", [101])
    body = session_body(_tx())
    started = await api_app.http.post("/v1/sessions", json=body, headers=auth(key))
    sid = started.json()["session_id"]
    stopped = await api_app.http.post(f"/v1/sessions/{sid}/stop", headers=auth(key))
    assert stopped.status_code == 200 and stopped.json()["state"] == "completed"
    await api_app.env.client.get_workflow_handle(sid).result()
    again = await api_app.http.post("/v1/sessions", json=body, headers=auth(key))
    assert again.status_code == 201
    assert again.json()["session_id"] == sid and again.json()["state"] == "completed"
    # Stopping a finished session is idempotent too.
    stop_again = await api_app.http.post(f"/v1/sessions/{sid}/stop", headers=auth(key))
    assert stop_again.status_code == 200 and stop_again.json()["state"] == "completed"


async def test_failure_states_map_to_error_codes(api_app: ApiHarness) -> None:
    key = new_key(api_app.keys_file, "T5", [101, 106])
    cases = [
        (session_body(_tx(), authorization_ref="decline"), 402, "payment_declined"),
        (session_body(_tx(), cp=106), 409, "charge_point_unavailable"),
        (session_body(_tx(), amount=50), 422, "rejected"),
    ]
    for body, status, code in cases:
        r = await api_app.http.post("/v1/sessions", json=body, headers=auth(key))
        assert r.status_code == status, r.text
        assert r.json()["error"] == code
        assert r.json()["details"]["status"]["session_id"].startswith("session-alpha-T5-")
    assert r.json()["details"]["reason"] == "budget_too_small"


async def test_slow_start_answers_202_with_status_url(api_app: ApiHarness) -> None:
    key = new_key(api_app.keys_file, "T6", [999])
    r = await api_app.http.post("/v1/sessions", json=session_body(_tx(), cp=999), headers=auth(key))
    assert r.status_code == 202, r.text
    url = r.json()["status_url"]
    assert r.headers["Location"] == url
    status = await api_app.http.get(url, headers=auth(key))
    assert status.status_code == 200 and status.json()["state"] == "pricing"
    await api_app.http.post(f"{url}/stop", headers=auth(key))


async def test_auth_and_scope(api_app: ApiHarness) -> None:
    mine = new_key(api_app.keys_file, "T7", [101])
    theirs = new_key(api_app.keys_file, "T8", [101, 102])
    r = await api_app.http.post("/v1/sessions", json=session_body(_tx()))
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    r = await api_app.http.post(
        "/v1/sessions", json=session_body(_tx()), headers=auth("cpk_nope_nope")
    )
    assert r.status_code == 401
    r = await api_app.http.post(
        "/v1/sessions", json=session_body(_tx(), cp=102), headers=auth(mine)
    )
    assert r.status_code == 403 and r.json()["error"] == "charge_point_not_allowed"
    started = await api_app.http.post(
        "/v1/sessions", json=session_body(_tx()), headers=auth(theirs)
    )
    sid = started.json()["session_id"]
    assert (await api_app.http.get(f"/v1/sessions/{sid}", headers=auth(mine))).status_code == 403
    r = await api_app.http.post(f"/v1/sessions/{sid}/stop", headers=auth(mine))
    assert r.status_code == 403
    r = await api_app.http.get("/v1/sessions?terminal_id=T8", headers=auth(mine))
    assert r.status_code == 403
    assert (await api_app.http.get(f"/v1/sessions/{sid}", headers=auth(theirs))).status_code == 200


async def test_unknown_session_is_404(api_app: ApiHarness) -> None:
    key = new_key(api_app.keys_file, "T9", [101])
    r = await api_app.http.get("/v1/sessions/session-alpha-T9-nothing", headers=auth(key))
    assert r.status_code == 404 and r.json()["error"] == "session_not_found"


async def test_list_filters_and_paginates(api_app: ApiHarness) -> None:
    key = new_key(api_app.keys_file, "T10", [101, 102])
    ids = []
    for cp in (101, 101, 102):
        r = await api_app.http.post(
            "/v1/sessions", json=session_body(_tx(), cp=cp), headers=auth(key)
        )
        ids.append(r.json()["session_id"])
    # Visibility is eventually consistent: poll until all three are listed.
    seen: list[str] = []
    for _ in range(100):
        page = (await api_app.http.get("/v1/sessions?page_size=100", headers=auth(key))).json()
        seen = [s["session_id"] for s in page["sessions"]]
        if set(ids) <= set(seen):
            break
        await asyncio.sleep(0.1)
    assert set(seen) == set(ids)
    r = await api_app.http.get("/v1/sessions?charge_point_id=102", headers=auth(key))
    assert [s["session_id"] for s in r.json()["sessions"]] == [ids[2]]
    first = (await api_app.http.get("/v1/sessions?page_size=2", headers=auth(key))).json()
    assert len(first["sessions"]) == 2 and first["next_page_token"]
    rest = await api_app.http.get(
        f"/v1/sessions?page_size=2&page_token={first['next_page_token']}", headers=auth(key)
    )
    got = {s["session_id"] for s in first["sessions"]} | {
        s["session_id"] for s in rest.json()["sessions"]
    }
    assert got == set(ids)


async def test_validation_errors_use_the_error_shape(api_app: ApiHarness) -> None:
    key = new_key(api_app.keys_file, "T11", [101])
    r = await api_app.http.post("/v1/sessions", json={"charge_point_id": "x"}, headers=auth(key))
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_request" and isinstance(r.json()["details"], list)
    r = await api_app.http.post(
        "/v1/sessions",
        content=b"{not json",
        headers={**auth(key), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    r = await api_app.http.get("/nope")
    assert r.status_code == 404 and r.json()["error"] == "not_found"


async def test_a_hold_above_the_operators_limit_is_refused(api_app: ApiHarness) -> None:
    """[3 of 7]: the largest hold is the operator's setting (default 300.00), not a global
    million; above it the start is a 422 and nothing starts."""
    key = new_key(api_app.keys_file, "TMAX", [101])
    tx = _tx()
    r = await _start(api_app, key, session_body(tx, amount=300_01))
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "amount_too_large"
    assert r.json()["details"] == {"max_amount_minor": 300_00}
    with pytest.raises(RPCError):
        await api_app.env.client.get_workflow_handle(f"session-alpha-TMAX-{tx}").describe()
    at_limit = await _start(api_app, key, session_body(_tx(), amount=300_00))
    assert at_limit.status_code in (201, 202), at_limit.text


async def test_an_idempotent_retry_logs_no_error(
    api_app: ApiHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """[4 of 7]: retrying a finished session's start is normal terminal behaviour; it must
    not leave an unread start error for asyncio to log as "never retrieved"."""
    key = new_key(api_app.keys_file, "T4R", [101])
    body = session_body(_tx())
    started = await api_app.http.post("/v1/sessions", json=body, headers=auth(key))
    sid = started.json()["session_id"]
    await api_app.http.post(f"/v1/sessions/{sid}/stop", headers=auth(key))
    await api_app.env.client.get_workflow_handle(sid).result()
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        again = await api_app.http.post("/v1/sessions", json=body, headers=auth(key))
        assert again.status_code == 201
        gc.collect()  # an unread future's exception is logged when it is collected
        await asyncio.sleep(0)
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
