"""One short session per final state, on fake activities, to record replayable histories."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from temporalio.client import Client

from tests.workflow.fakes import FakeWorld, now
from tests.workflow.harness import make_request, push, session_worker, wait_status
from workflows import contracts as c
from workflows.session import ChargeSessionWorkflow
from workflows.session_start import start_session_and_wait_accepted

Scenario = Callable[[Client], Awaitable[str]]  # returns the workflow id


async def completed(client: Client) -> str:
    world = FakeWorld()
    async with session_worker(client, world) as queue:
        accepted = await start_session_and_wait_accepted(client, make_request(500), queue)
        handle = client.get_workflow_handle_for(ChargeSessionWorkflow.run, accepted.session_id)
        await push(handle, world, state="charging", started_at=now(), consumed_kwh=Decimal("1"))
        await handle.execute_update(ChargeSessionWorkflow.request_stop, c.StopRequest())
        await wait_status(handle, lambda s: s.state == "stopping")
        await push(handle, world, state="completed", completed_at=now(), price_minor=69)
        await handle.result()
        return handle.id


async def voided(client: Client) -> str:
    world = FakeWorld()
    async with session_worker(client, world) as queue:
        accepted = await start_session_and_wait_accepted(client, make_request(500), queue)
        handle = client.get_workflow_handle_for(ChargeSessionWorkflow.run, accepted.session_id)
        await push(handle, world, state="completed", completed_at=now(), price_minor=0)
        await handle.result()
        return handle.id


async def _until_final(client: Client, world: FakeWorld, **kw: object) -> str:
    async with session_worker(client, world) as queue:
        status = await start_session_and_wait_accepted(client, make_request(**kw), queue)  # type: ignore[arg-type]
        await client.get_workflow_handle(status.session_id).result()
        return status.session_id


async def declined(client: Client) -> str:
    return await _until_final(client, FakeWorld(decline="do_not_honor"))


async def start_failed(client: Client) -> str:
    world = FakeWorld(start_error=(c.ERR_CHARGE_POINT_UNAVAILABLE, "CHARGE_POINT_BUSY"))
    return await _until_final(client, world)


async def rejected(client: Client) -> str:
    return await _until_final(client, FakeWorld(), currency="DKK")


SCENARIOS: dict[str, Scenario] = {
    "completed": completed,
    "voided": voided,
    "declined": declined,
    "start_failed": start_failed,
    "rejected": rejected,
}
