"""The hold claim (workflows/hold_claim.py) on a real Temporal server: of any number of
sessions presenting one hold, exactly one holds the claim, until it releases it or the hold
expires, and a released claim is not taken again."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from temporalio import workflow
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from workflows.claims import EXPIRY_GRACE, QUERY_OWNER, SIGNAL_EXTEND, Claim
from workflows.hold_claim import (
    HoldClaimWorkflow,
    claim_hold,
    extend_hold_claim,
    hold_claim_id,
    release_hold,
)


@workflow.defn(sandboxed=False)
class ClaimingSession:
    """Stands in for a session: claims, then releases when told to."""

    def __init__(self) -> None:
        self._release = False

    @workflow.signal
    def let_go(self) -> None:
        self._release = True

    @workflow.signal
    async def grown(self, authorization_id: str, expires_at: datetime) -> None:
        await extend_hold_claim(authorization_id, expires_at)

    @workflow.run
    async def run(self, authorization_id: str, expires_at: datetime) -> bool:
        held = await claim_hold(authorization_id, expires_at)
        if held:
            await workflow.wait_condition(lambda: self._release)
            await release_hold(authorization_id)
        return held


def _soon(seconds: float = 3600) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def _start(client: Client, queue: str, hold: str, expires_at: datetime) -> str:
    session_id = f"claiming-{uuid.uuid4().hex[:8]}"
    await client.start_workflow(
        ClaimingSession.run, args=[hold, expires_at], id=session_id, task_queue=queue
    )
    return session_id


async def _owner(client: Client, hold: str) -> str:
    """The claim's owner, once the first claim has started (bounded for a broken test)."""
    claim = client.get_workflow_handle(hold_claim_id(hold))
    for _ in range(100):
        try:
            owner: str = await claim.query(QUERY_OWNER)
            return owner
        except Exception:
            await asyncio.sleep(0.1)
    raise AssertionError("no session ever claimed the hold")


def _worker(client: Client, queue: str) -> Worker:
    return Worker(client, task_queue=queue, workflows=[ClaimingSession, HoldClaimWorkflow])


async def test_of_concurrent_sessions_with_one_hold_exactly_one_holds_it(
    temporal_env: WorkflowEnvironment,
) -> None:
    client, queue, hold = temporal_env.client, f"claims-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    async with _worker(client, queue):
        ids = await asyncio.gather(*(_start(client, queue, hold, _soon()) for _ in range(6)))
        claim = client.get_workflow_handle(hold_claim_id(hold))
        owner = await _owner(client, hold)
        assert owner in ids
        others = [await client.get_workflow_handle(i).result() for i in ids if i != owner]
        assert others == [False] * 5  # every session but the owner was refused
        await client.get_workflow_handle(owner).signal(ClaimingSession.let_go)
        assert await client.get_workflow_handle(owner).result() is True
        assert await claim.result() == "released"
        # A released hold was captured or voided: the claim is never taken again.
        late = await _start(client, queue, hold, _soon())
        assert await client.get_workflow_handle(late).result() is False


async def test_only_the_owner_releases_and_an_unreleased_claim_ends_at_expiry(
    temporal_env: WorkflowEnvironment,
) -> None:
    client, queue, hold = temporal_env.client, f"claims-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    async with _worker(client, queue):
        # Expired an hour ago: the claim's grace ends at once.
        owner = await _start(client, queue, hold, _soon(-3600))
        assert await _owner(client, hold) == owner
        claim = client.get_workflow_handle(hold_claim_id(hold))
        await claim.signal("release", "someone-else")
        assert await claim.result() == "expired"
        # The owner's release after expiry finds the claim closed and does not fail.
        await client.get_workflow_handle(owner).signal(ClaimingSession.let_go)
        assert await client.get_workflow_handle(owner).result() is True


async def test_an_increment_that_moves_the_holds_expiry_moves_the_claims(
    temporal_env: WorkflowEnvironment,
) -> None:
    """I1 for as long as the hold lasts: a claim whose hold an increment keeps valid longer
    is not left to expire (and its id to be taken again once retention has passed)."""
    client, queue = temporal_env.client, f"claims-{uuid.uuid4().hex[:8]}"
    grown, forged = uuid.uuid4().hex, uuid.uuid4().hex
    first_expiry = _soon(3) - EXPIRY_GRACE  # each claim ends 3 s from now unless extended
    async with _worker(client, queue):
        owner = await _start(client, queue, grown, first_expiry)
        other = await _start(client, queue, forged, first_expiry)
        assert await _owner(client, grown) == owner and await _owner(client, forged) == other
        await client.get_workflow_handle(owner).signal(
            ClaimingSession.grown, args=[grown, _soon(3600)]
        )
        # Only the owner extends: a signal naming another session changes nothing.
        forged_claim = client.get_workflow_handle(hold_claim_id(forged))
        await forged_claim.signal(
            SIGNAL_EXTEND, Claim(owner_session_id="someone-else", expires_at=_soon(3600))
        )
        assert await forged_claim.result() == "expired"
        await asyncio.sleep(2)  # past the first expiry (plus its grace)
        claim = client.get_workflow_handle(hold_claim_id(grown))
        assert (await claim.describe()).status == WorkflowExecutionStatus.RUNNING
        await client.get_workflow_handle(owner).signal(ClaimingSession.let_go)
        assert await claim.result() == "released"
        await client.get_workflow_handle(other).signal(ClaimingSession.let_go)
