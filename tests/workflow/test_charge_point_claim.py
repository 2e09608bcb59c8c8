"""[3 of 7] finding 6: card-not-present starts on a busy charge point place no hold. The
point is claimed before the hold is authorized; of concurrent token starts on one point one
places a hold, the others end `start_failed` (`charge_point_in_use`) with none, and the
point is free again once the winner's charge is over."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.testing import WorkflowEnvironment

from api.session_start import start_session
from tests.workflow.fakes import FakeWorld
from tests.workflow.harness import make_request, session_worker
from workflows import contracts as c
from workflows.contracts import SessionRequest, SessionStatus

pytestmark = pytest.mark.timeout(120)


def _token_request() -> SessionRequest:
    return make_request(500).model_copy(
        update={"authorization_ref": None, "payment_token": "tok_visa"}
    )


async def test_concurrent_token_starts_on_one_point_place_one_hold(
    temporal_env: WorkflowEnvironment,
) -> None:
    world = FakeWorld()  # no car ever draws: the winner stops for no energy and voids
    client = temporal_env.client
    async with session_worker(client, world) as queue:
        handles = await asyncio.gather(
            *(start_session(client, _token_request(), queue) for _ in range(4))
        )
        results: list[SessionStatus] = await asyncio.gather(*(h.result() for h in handles))
        refused = [r for r in results if r.reason == "charge_point_in_use"]
        assert len(refused) == 3, [(r.state, r.reason) for r in results]
        assert all(r.state == "start_failed" and r.authorization_id is None for r in refused)
        assert world.names().count(c.PAYMENTS_AUTHORIZE) == 1

        # The winner's charge is over: the point is free for the next driver.
        later: SessionStatus = await (await start_session(client, _token_request(), queue)).result()
    assert later.reason != "charge_point_in_use", later
    assert world.names().count(c.PAYMENTS_AUTHORIZE) == 2
