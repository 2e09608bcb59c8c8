"""The operator routes on a fake Temporal client: auth and scope, body validation, and how
the session's answers (status, refusal, unknown, finished, unreachable) map to HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError

from api import keys as terminal_keys
from api.operator_keys import create_key, revoke_key
from tests.api.operator_fakes import FakeTemporal, operator_app, visibility_row
from tests.api.support import auth
from workflows.operator_actions import OperatorAction

SID = "session-alpha-T1-tx_0001"
BRAVO_SID = "session-bravo-B1-tx_0001"


@dataclass
class Harness:
    http: httpx.AsyncClient
    temporal: FakeTemporal
    key: str
    operator_keys: Path
    terminal_keys: Path


@pytest_asyncio.fixture
async def api(tmp_path: Path, dev_secrets: None) -> AsyncIterator[Harness]:
    temporal = FakeTemporal()
    app, settings = operator_app(tmp_path, temporal)
    _, key = create_key(settings.operator_keys_file, "alpha", "alice@example.com")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield Harness(http, temporal, key, settings.operator_keys_file, settings.terminal_keys_file)


def _body(action: str = "retry_capture", **extra: Any) -> dict[str, Any]:
    return {"action": action, "request_id": "op-1", "reason": "acquirer is back", **extra}


async def _act(
    api: Harness, body: dict[str, Any], sid: str = SID, key: str | None = None
) -> httpx.Response:
    return await api.http.post(
        f"/v1/operator/sessions/{sid}/actions", json=body, headers=auth(key or api.key)
    )


async def test_success_answers_the_status_and_the_user_comes_from_the_key(api: Harness) -> None:
    api.temporal.add(SID)
    r = await _act(api, _body("capture", amount={"amount_minor": 1234, "currency": "eur"}))
    assert r.status_code == 200, r.text
    assert r.json()["session_id"] == SID and r.json()["state"] == "settling"
    [(sid, _, action, update_id)] = api.temporal.updates
    assert sid == SID and isinstance(action, OperatorAction)
    assert action.operator_user == "alice@example.com"
    assert action.amount is not None and (action.amount.amount_minor, action.amount.currency) == (
        1234,
        "EUR",
    )
    assert update_id == "operator-action:op-1"


async def test_auth(api: Harness, tmp_path: Path) -> None:
    api.temporal.add(SID)
    missing = await api.http.post(f"/v1/operator/sessions/{SID}/actions", json=_body())
    assert missing.status_code == 401 and missing.json()["error"] == "unauthorized"
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert (await _act(api, _body(), key="opk_0000_nope")).status_code == 401
    _, terminal_key = terminal_keys.create_key(api.terminal_keys, "alpha", "T1", [101])
    as_terminal = await _act(api, _body(), key=terminal_key)
    assert as_terminal.status_code == 401 and "not an operator key" in as_terminal.json()["message"]
    # ... and an operator key opens no terminal route.
    r = await api.http.get(f"/v1/sessions/{SID}", headers=auth(api.key))
    assert r.status_code == 401
    key_id, revoked = create_key(api.operator_keys, "alpha", "mallory")
    assert (await _act(api, _body(), key=revoked)).status_code == 200
    revoke_key(api.operator_keys, key_id)
    assert (await _act(api, _body(), key=revoked)).status_code == 401
    assert api.temporal.updates[-1][2].operator_user == "mallory"


async def test_another_operators_session_is_403(api: Harness) -> None:
    api.temporal.add(BRAVO_SID)
    r = await _act(api, _body(), sid=BRAVO_SID)
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    status = await api.http.get(f"/v1/operator/sessions/{BRAVO_SID}", headers=auth(api.key))
    assert status.status_code == 403
    # An operator whose name starts like another's is still another operator.
    _, alphabet = create_key(api.operator_keys, "alphabet", "eve")
    assert (await _act(api, _body(), key=alphabet)).status_code == 403
    assert api.temporal.updates == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        _body("refund"),
        _body(reason=""),
        _body(request_id="has space"),
        _body(request_id="x" * 65),
        _body(operator_user="someone-else"),  # who acts comes from the key only
        _body("capture", amount={"amount_minor": 0, "currency": "EUR"}),
        _body("capture", amount={"amount_minor": 12.5, "currency": "EUR"}),
        _body("capture", amount={"amount_minor": 100, "currency": "EURO"}),
        _body("capture", amount="12.34"),
    ],
)
async def test_bad_bodies_are_422(api: Harness, body: dict[str, Any]) -> None:
    api.temporal.add(SID)
    r = await _act(api, body)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request" and r.json()["details"]
    assert api.temporal.updates == []


async def test_bad_session_id_is_422(api: Harness) -> None:
    r = await _act(api, _body(), sid="session-alpha-T1")
    assert r.status_code == 422


async def test_refusal_is_409_with_the_sessions_code(api: Harness) -> None:
    api.temporal.add(SID, refusal=("energy_may_flow", "the charge may still deliver energy"))
    r = await _act(api, _body("void"))
    assert r.status_code == 409
    assert r.json() == {
        "error": "energy_may_flow",
        "message": "the charge may still deliver energy",
        "details": {"session_id": SID, "action": "void", "request_id": "op-1"},
    }


async def test_a_failure_that_is_no_refusal_is_502(api: Harness) -> None:
    """A session without the handler answers with a Python exception name, not a code."""
    cause = ApplicationError("Update handler for 'operator_action' expected", type="RuntimeError")
    api.temporal.add(SID, failure=WorkflowUpdateFailedError(cause))
    r = await _act(api, _body())
    assert r.status_code == 502 and r.json()["error"] == "action_failed"


async def test_unknown_finished_busy_and_unreachable(api: Harness) -> None:
    r = await _act(api, _body())
    assert r.status_code == 404 and r.json()["error"] == "session_not_found"
    api.temporal.add(SID, closed=True)
    r = await _act(api, _body())
    assert r.status_code == 409 and r.json()["error"] == "session_finished"
    assert r.json()["details"]["workflow_status"] == "COMPLETED"
    api.temporal.add(SID, failure=WorkflowUpdateRPCTimeoutOrCancelledError())
    r = await _act(api, _body())
    assert r.status_code == 504 and r.json()["details"]["request_id"] == "op-1"
    api.temporal.unreachable = True
    r = await _act(api, _body())
    assert r.status_code == 503 and r.json()["error"] == "temporal_unavailable"


async def test_not_connected_to_temporal_is_503(tmp_path: Path, dev_secrets: None) -> None:
    app, settings = operator_app(tmp_path, None)
    _, key = create_key(settings.operator_keys_file, "alpha", "alice")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as h:
        r = await h.post(f"/v1/operator/sessions/{SID}/actions", json=_body(), headers=auth(key))
    assert r.status_code == 503 and r.json()["error"] == "temporal_unavailable"


async def test_status(api: Harness) -> None:
    api.temporal.add(SID)
    r = await api.http.get(f"/v1/operator/sessions/{SID}", headers=auth(api.key))
    assert r.status_code == 200 and r.json()["session_id"] == SID
    other = "session-alpha-T1-tx_missing"
    r = await api.http.get(f"/v1/operator/sessions/{other}", headers=auth(api.key))
    assert r.status_code == 404


async def test_list_flagged_asks_visibility_for_this_operator_only(api: Harness) -> None:
    api.temporal.listed = [visibility_row(SID, "capture_refused")]
    r = await api.http.get(
        "/v1/operator/sessions",
        params={"attention": "true", "running": "true"},
        headers=auth(api.key),
    )
    assert r.status_code == 200, r.text
    [row] = r.json()["sessions"]
    assert row["session_id"] == SID and row["attention"] == "capture_refused"
    [query] = api.temporal.queries
    assert "Operator = 'alpha'" in query
    assert "Attention IS NOT NULL" in query and "ExecutionStatus = 'Running'" in query
    r = await api.http.get("/v1/operator/sessions", headers=auth(api.key))
    assert r.status_code == 200 and "Attention" not in api.temporal.queries[-1]
    bad = await api.http.get(
        "/v1/operator/sessions", params={"attention": "maybe"}, headers=auth(api.key)
    )
    assert bad.status_code == 422
    assert (await api.http.get("/v1/operator/sessions")).status_code == 401
