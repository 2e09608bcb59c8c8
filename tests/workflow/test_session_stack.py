"""The session against the real world: worker.py, Temporal, both emulators and the API's
webhook route as processes (tests/api/stack.py). Bounds come from the emulators' truth."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError

from api.session_start import start_session
from core.money import Money
from tests.api.stack import RunningStack, running_stack
from workflows import contracts as c
from workflows.contracts import SessionConfig, SessionRequest, SessionStatus
from workflows.session import ChargeSessionWorkflow

pytestmark = pytest.mark.timeout(400)

TIME_SCALE = 60.0
LATENCY_S = 60.0  # real seconds: 1 s on the wall covers webhook batching + signal + stop
METER_INTERVAL_S = 30.0  # the emulator's default meter interval (real seconds)
CP_KW = {101: Decimal(11), 103: Decimal(50)}  # seeded charge points (emulators/monta/README)


@pytest.fixture(scope="module")
def stack(log_dir: Path) -> Iterator[RunningStack]:
    env = {"CHARGEPAY_STOP_DELIVERY_LATENCY_S": str(LATENCY_S)}
    with running_stack(log_dir, time_scale=TIME_SCALE, env=env) as s:
        yield s


@pytest_asyncio.fixture(loop_scope="session")
async def client(stack: RunningStack) -> AsyncIterator[Client]:
    yield await Client.connect(stack.stack.temporal_address, data_converter=pydantic_data_converter)


def _request(hold: str, cp: int, amount_minor: int) -> SessionRequest:
    return SessionRequest(
        operator="alpha",
        terminal_id="W1",
        terminal_transaction_id=uuid.uuid4().hex[:12],
        charge_point_id=cp,
        paying_team_id=1001,
        amount=Money(amount_minor=amount_minor, currency="EUR"),
        card_brand="VISA",
        card_last4="4242",
        authorization_ref=hold,
        config=SessionConfig(
            time_scale=TIME_SCALE,
            stop_delivery_latency_s=LATENCY_S,
            monta_task_queue="monta-alpha",
        ),
    )


async def _status(handle: WorkflowHandle[Any, Any]) -> SessionStatus:
    status: SessionStatus = await handle.query(c.QUERY_STATUS, result_type=SessionStatus)
    return status


async def _until(probe: Callable[[], Awaitable[bool]], what: str, limit_s: float = 240) -> None:
    """Poll until `probe` holds (the limit only bounds a broken test)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if await probe():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} never happened")


async def _committed(stack: RunningStack, session_id: str) -> bool:
    return bool(_charges(stack, session_id))


def _charges(stack: RunningStack, session_id: str) -> list[Any]:
    return [ch for ch in stack.monta_truth()["charges"] if ch["partnerExternalId"] == session_id]


def _hold(stack: RunningStack, ref: str) -> Any:
    holds = stack.acquirer_truth()["holds"]
    return next(h for h in holds if ref in (h["id"], h.get("authorization_ref")))


async def test_stop_at_kwh_budget_overshoot_within_bound(
    stack: RunningStack, client: Client
) -> None:
    hold = stack.place_hold("W1", 500)
    handle = await start_session(client, _request(hold, 103, 500), "chargepay-sessions")
    result: SessionStatus = await handle.result()
    assert result.state == "completed" and result.reason == "kwh_budget", result
    (charge,) = _charges(stack, handle.id)
    assert charge["stop_requests"], "the session stopped the charge, not Monta's hard cap"
    assert result.kwh_budget is not None
    delivered = Decimal(str(charge["consumedKwh"]))
    bound = CP_KW[103] * Decimal(str(LATENCY_S + METER_INTERVAL_S)) / 3600
    assert delivered - result.kwh_budget <= bound, (delivered, result.kwh_budget, bound)
    assert result.uncollected == Money(amount_minor=0, currency="EUR")
    assert result.captured is not None
    captures = [cap["amount_minor"] for cap in _hold(stack, hold)["captures"]]
    assert captures == [result.captured.amount_minor]


async def test_worker_killed_while_start_response_is_lost(
    stack: RunningStack, client: Client
) -> None:
    """The start commits at Monta, its response is held back, the worker dies; a restarted
    worker finds the charge by partnerExternalId instead of starting a second one."""
    faults = {
        "http": [
            {"operation": "start-charge", "kind": "commit_then_drop", "count": 1, "delay_s": 20}
        ]
    }
    async with httpx.AsyncClient(timeout=10) as http:
        await http.put(f"{stack.stack.monta_url}/_emulator/faults", json=faults)
    since = stack.monta_truth()["now"]
    hold = stack.place_hold("W1", 1500)
    handle = await start_session(client, _request(hold, 101, 1500), "chargepay-sessions")
    await _until(lambda: _committed(stack, handle.id), "the start committed at Monta")
    stack.stack.procs["worker"].kill()
    stack.stack.procs.pop("worker")
    stack.stack.start_worker()
    await _until(lambda: _accepted(handle), "the restarted session found its charge")
    await _request_stop(handle)
    result: SessionStatus = await handle.result()
    assert result.state == "completed", result
    assert len(_charges(stack, handle.id)) == 1
    async with httpx.AsyncClient(timeout=10) as http:
        truth = (await http.get(f"{stack.stack.monta_url}/_emulator/truth?since={since}")).json()
    starts = [r for r in truth["requests"] if r.get("operation") == "start-charge"]
    assert len(starts) == 1, starts
    assert result.captured is not None
    captures = [cap["amount_minor"] for cap in _hold(stack, hold)["captures"]]
    assert captures == [result.captured.amount_minor]


async def _accepted(handle: WorkflowHandle[Any, Any]) -> bool:
    """A query needs a worker: while the killed one's replacement starts up (and replays the
    run) it can time out or find no poller; that is "not yet", not a failure."""
    try:
        return (await _status(handle)).charge_id is not None
    except RPCError:
        return False


async def _request_stop(handle: WorkflowHandle[Any, Any]) -> None:
    """Right after a worker crash the server may answer "workflow task in failed state"
    until the new worker has taken the run over: that is retryable, so retry it."""
    for _ in range(50):
        try:
            await handle.execute_update(ChargeSessionWorkflow.request_stop, c.StopRequest())
            return
        except RPCError as exc:
            if "Workflow Task in failed state" not in exc.message:
                raise
            await asyncio.sleep(0.5)
    raise AssertionError("the session never accepted the stop")
