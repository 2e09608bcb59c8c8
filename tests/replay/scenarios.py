"""One short session per final state, on fake activities, to record replayable histories.

`priced=True` starts each session as the API does: carrying the tariff it read
(`SessionRequest.tariff`); `False` is a bare start that reads the tariff itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from temporalio.client import Client

from api.session_start import start_session_and_wait_accepted
from tests.workflow.fakes import FakeWorld, now
from tests.workflow.harness import make_request, push, session_handle, session_worker, wait_status
from workflows import contracts as c
from workflows.contracts import SessionRequest
from workflows.session import ChargeSessionWorkflow

Scenario = Callable[[Client, bool], Awaitable[str]]  # (client, priced) -> the workflow id


def _request(world: FakeWorld, priced: bool, **kw: Any) -> SessionRequest:
    req = make_request(**kw)
    return req.model_copy(update={"tariff": world.quote()}) if priced else req


async def completed(client: Client, priced: bool) -> str:
    world = FakeWorld()
    async with session_worker(client, world) as queue:
        req = _request(world, priced, amount_minor=500)
        accepted = await start_session_and_wait_accepted(client, req, queue)
        handle = session_handle(client, accepted.session_id)
        await push(handle, world, state="charging", started_at=now(), consumed_kwh=Decimal("1"))
        await handle.execute_update(ChargeSessionWorkflow.request_stop, c.StopRequest())
        await wait_status(handle, lambda s: s.state == "stopping")
        await push(handle, world, state="completed", completed_at=now(), price_minor=69)
        await handle.result()
        return handle.id


async def voided(client: Client, priced: bool) -> str:
    world = FakeWorld()
    async with session_worker(client, world) as queue:
        req = _request(world, priced, amount_minor=500)
        accepted = await start_session_and_wait_accepted(client, req, queue)
        handle = session_handle(client, accepted.session_id)
        await push(handle, world, state="completed", completed_at=now(), price_minor=0)
        await handle.result()
        return handle.id


async def _until_final(client: Client, world: FakeWorld, priced: bool, **kw: Any) -> str:
    async with session_worker(client, world) as queue:
        req = _request(world, priced, **kw)
        status = await start_session_and_wait_accepted(client, req, queue)
        await client.get_workflow_handle(status.session_id).result()
        return status.session_id


async def declined(client: Client, priced: bool) -> str:
    return await _until_final(client, FakeWorld(decline="do_not_honor"), priced)


async def start_failed(client: Client, priced: bool) -> str:
    world = FakeWorld(start_error=(c.ERR_CHARGE_POINT_UNAVAILABLE, "CHARGE_POINT_BUSY"))
    return await _until_final(client, world, priced)


async def rejected(client: Client, priced: bool) -> str:
    return await _until_final(client, FakeWorld(), priced, currency="DKK")


SCENARIOS: dict[str, Scenario] = {
    "completed": completed,
    "voided": voided,
    "declined": declined,
    "start_failed": start_failed,
    "rejected": rejected,
}
