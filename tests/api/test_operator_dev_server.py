"""The operator routes against a real Temporal dev server and a stand-in session that
answers `operator_action` with check_action: the SDK's real error shapes (a validator's
refusal, a finished or unknown workflow, a workflow without the handler) and visibility."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.main import create_app
from api.operator_keys import create_key
from settings import Settings
from tests.api.operator_standin import FlaggedStandIn, NoHandler
from tests.api.support import auth
from workflows import search_attributes as sa


@dataclass
class Live:
    http: httpx.AsyncClient
    client: Client
    key: str
    task_queue: str

    async def start(self, workflow_cls: Any = FlaggedStandIn) -> str:
        sid = f"session-alpha-T1-tx_{uuid.uuid4().hex[:12]}"
        await self.client.start_workflow(
            workflow_cls.run,
            sid,
            id=sid,
            task_queue=self.task_queue,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(sa.OPERATOR, "alpha"),
                    SearchAttributePair(sa.ATTENTION, "capture_refused"),
                ]
            ),
            execution_timeout=timedelta(minutes=5),
        )
        return sid

    async def act(self, sid: str, action: str, **extra: Any) -> httpx.Response:
        body = {"action": action, "request_id": uuid.uuid4().hex, "reason": "test", **extra}
        return await self.http.post(
            f"/v1/operator/sessions/{sid}/actions", json=body, headers=auth(self.key)
        )


@pytest_asyncio.fixture
async def live(
    temporal_env: WorkflowEnvironment, tmp_path: Path, dev_secrets: None
) -> AsyncIterator[Live]:
    task_queue = f"operator-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        session_task_queue=task_queue,
        terminal_keys_file=tmp_path / "terminal_keys.json",
        operator_keys_file=tmp_path / "operator_keys.json",
        api_retention_check="off",
        api_start_wait_s=5.0,
    )
    _, key = create_key(settings.operator_keys_file, "alpha", "alice@example.com")
    app = create_app(settings, temporal_client=temporal_env.client)
    async with Worker(
        temporal_env.client, task_queue=task_queue, workflows=[FlaggedStandIn, NoHandler]
    ):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            yield Live(http, temporal_env.client, key, task_queue)


async def test_refusals_carry_the_validators_code(live: Live) -> None:
    sid = await live.start()
    cases = [
        (await live.act(sid, "void"), "energy_may_flow"),
        (await live.act(sid, "retry_capture"), "nothing_to_capture"),
        (await live.act(sid, "capture"), "amount_required"),
        (
            await live.act(sid, "capture", amount={"amount_minor": 6000, "currency": "EUR"}),
            "amount_above_hold",
        ),
        (
            await live.act(sid, "capture", amount={"amount_minor": 100, "currency": "DKK"}),
            "currency_mismatch",
        ),
    ]
    for r, code in cases:
        assert r.status_code == 409, r.text
        assert r.json()["error"] == code and r.json()["details"]["session_id"] == sid


async def test_accepted_action_then_the_finished_session(live: Live) -> None:
    sid = await live.start()
    r = await live.act(sid, "capture", amount={"amount_minor": 1234, "currency": "EUR"})
    assert r.status_code == 200, r.text
    assert r.json()["reason"] == "capture by alice@example.com: test"
    status = await live.http.get(f"/v1/operator/sessions/{sid}", headers=auth(live.key))
    assert status.status_code == 200 and status.json()["reason"].startswith("capture by alice")
    assert (await live.act(sid, "resolve")).status_code == 200
    await live.client.get_workflow_handle(sid).result()
    after = await live.act(sid, "resolve")
    assert after.status_code == 409 and after.json()["error"] == "session_finished"


async def test_unknown_session_and_a_session_without_the_handler(live: Live) -> None:
    r = await live.act("session-alpha-T1-tx_nosuchsession", "resolve")
    assert r.status_code == 404 and r.json()["error"] == "session_not_found"
    sid = await live.start(NoHandler)
    r = await live.act(sid, "resolve")
    assert r.status_code == 502 and r.json()["error"] == "action_failed"
    await live.client.get_workflow_handle(sid).terminate()


async def test_flagged_list_from_visibility(live: Live) -> None:
    sid = await live.start()
    for _ in range(50):  # visibility is eventually consistent
        r = await live.http.get(
            "/v1/operator/sessions",
            params={"attention": "true", "running": "true", "page_size": 100},
            headers=auth(live.key),
        )
        assert r.status_code == 200, r.text
        rows = {row["session_id"]: row for row in r.json()["sessions"]}
        if sid in rows:
            break
        await asyncio.sleep(0.1)
    assert rows[sid]["attention"] == "capture_refused"
    assert all(row["operator"] == "alpha" for row in rows.values())
    await live.client.get_workflow_handle(sid).terminate()
