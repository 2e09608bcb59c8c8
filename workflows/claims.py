"""A claim held by a workflow: the one session that owns something until it lets go.

Temporal's workflow-id uniqueness makes a claim strongly consistent: of two sessions that
start the claim's workflow at once, exactly one succeeds; the other gets
WorkflowAlreadyStarted and is refused. The session starts the claim as a child that outlives
it (parent close policy ABANDON); the claim ends when its owner releases it, or at its
expiry, a bound on how long anything may stay claimed. Only the owner's release counts, so
a stray or forged signal cannot free what another session still uses. What is claimed, and
whether a released claim's id may be taken again, is the caller's (workflows/hold_claim.py,
workflows/charge_point_claim.py). A claim runs on the worker version that started it, like
its session (docs/upgrades.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

SIGNAL_RELEASE = "release"
SIGNAL_EXTEND = "extend"
QUERY_OWNER = "owner"
# A claim outlives its expiry a little: the clocks of whoever set the expiry and ours differ.
EXPIRY_GRACE = timedelta(hours=1)


class Claim(BaseModel):
    model_config = ConfigDict(frozen=True)

    owner_session_id: str
    expires_at: datetime


class ClaimHolder:
    """What every claim workflow does; each subclass is one workflow type with its own run."""

    @workflow.init
    def __init__(self, claim: Claim) -> None:
        self._claim = Claim.model_validate(claim)
        self._released_by: str | None = None

    @workflow.signal(name=SIGNAL_RELEASE)
    def release(self, session_id: str) -> None:
        if session_id == self._claim.owner_session_id:
            self._released_by = session_id

    @workflow.signal(name=SIGNAL_EXTEND)
    def extend(self, later: Claim) -> None:
        """The owner's claim lasts until a later expiry (an increment moved the hold's): only
        the owner's extension counts, and an expiry never moves back."""
        later = Claim.model_validate(later)
        same_owner = later.owner_session_id == self._claim.owner_session_id
        if same_owner and later.expires_at > self._claim.expires_at:
            self._claim = later

    @workflow.query(name=QUERY_OWNER)
    def owner(self) -> str:
        return self._claim.owner_session_id

    async def held_until_released(self, expiry_summary: str) -> str:
        while self._released_by is None:
            claim = self._claim  # replaced, never changed, by an extension
            until_expired = claim.expires_at + EXPIRY_GRACE - workflow.now()
            try:
                await workflow.wait_condition(
                    partial(self._released_or_replaced, claim),
                    timeout=max(until_expired, timedelta(seconds=1)),
                    timeout_summary=expiry_summary,
                )
            except TimeoutError:
                return "expired"
        return "released"

    def _released_or_replaced(self, claim: Claim) -> bool:
        return self._released_by is not None or self._claim is not claim


async def take_claim(
    run: Any,
    claim_id: str,
    expires_at: datetime,
    summary: str,
    reuse: WorkflowIDReusePolicy,
) -> bool:
    """From the session: True when this session now holds the claim (or held it already:
    its retries and runs after continue-as-new carry the same workflow id), False when
    another session holds it."""
    session_id = workflow.info().workflow_id
    try:
        await workflow.start_child_workflow(
            run,
            Claim(owner_session_id=session_id, expires_at=expires_at),
            id=claim_id,
            parent_close_policy=ParentClosePolicy.ABANDON,
            id_reuse_policy=reuse,
            static_summary=summary,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


async def extend_claim(claim_id: str, expires_at: datetime) -> None:
    """From the owning session, when what it claimed now expires later. A failed signal (the
    claim already closed) changes nothing."""
    handle = workflow.get_external_workflow_handle(claim_id)
    later = Claim(owner_session_id=workflow.info().workflow_id, expires_at=expires_at)
    try:
        await handle.signal(SIGNAL_EXTEND, later)
    except ApplicationError:
        workflow.logger.info("claim %s was already closed", handle.id)


async def give_back(claim_id: str) -> None:
    """From the owning session. A failed signal (the claim already expired) changes
    nothing: the claim ends at its expiry."""
    handle = workflow.get_external_workflow_handle(claim_id)
    try:
        await handle.signal(SIGNAL_RELEASE, workflow.info().workflow_id)
    except ApplicationError:
        workflow.logger.info("claim %s was already closed", handle.id)
