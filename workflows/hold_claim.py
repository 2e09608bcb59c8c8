"""One hold pays for one session (invariant I1): a claim on the hold, held by a workflow.

A terminal's `authorization_ref`, or a hold placed from a payment token, could be presented
by any number of sessions: the acquirer's verify only reads the hold's status, so each of
them would see it usable and start a charge that only the first capture pays for. The
session therefore claims the hold right after verifying it, before Monta is called, by
starting `HoldClaimWorkflow` as a child with an id derived from the hold. Temporal's
workflow-id uniqueness makes the claim strongly consistent: of two sessions that verify the
same hold at once, exactly one starts the claim; the other gets WorkflowAlreadyStarted and
is refused. The claim outlives the session (parent close policy ABANDON): it ends when the
session releases it after the hold was captured or voided, or when the hold expires. A
closed claim's id is never reused within the namespace's retention (REJECT_DUPLICATE), and
by then the acquirer itself refuses a captured, voided or expired hold. The claim runs on
the worker version that started it, like its session: old workers are drained only after
the longest hold (docs/upgrades.md).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict
from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

HOLD_CLAIM_WORKFLOW = "HoldClaimWorkflow"
SIGNAL_RELEASE = "release"
QUERY_OWNER = "owner"
# The claim outlives the hold's expiry a little: the acquirer's clock and ours may differ.
EXPIRY_GRACE = timedelta(hours=1)


def hold_claim_id(authorization_id: str) -> str:
    """The claim's workflow id: a digest, so the hold's id itself never lands in a workflow
    id that operators list and search (it is not secret, but it is the acquirer's)."""
    digest = hashlib.sha256(authorization_id.encode()).hexdigest()[:32]
    return f"hold-claim-{digest}"


class HoldClaim(BaseModel):
    model_config = ConfigDict(frozen=True)

    owner_session_id: str
    expires_at: datetime


@workflow.defn(name=HOLD_CLAIM_WORKFLOW)
class HoldClaimWorkflow:
    """Holds the claim until the owning session releases it or the hold has expired."""

    @workflow.init
    def __init__(self, claim: HoldClaim) -> None:
        self._claim = HoldClaim.model_validate(claim)
        self._released_by: str | None = None

    @workflow.signal(name=SIGNAL_RELEASE)
    def release(self, session_id: str) -> None:
        # Only the owner may release: any other sender is ignored, so a stray or forged
        # signal cannot free a hold that another session still pays with.
        if session_id == self._claim.owner_session_id:
            self._released_by = session_id

    @workflow.query(name=QUERY_OWNER)
    def owner(self) -> str:
        return self._claim.owner_session_id

    @workflow.run
    async def run(self, claim: HoldClaim) -> str:
        until_expired = self._claim.expires_at + EXPIRY_GRACE - workflow.now()
        try:
            await workflow.wait_condition(
                lambda: self._released_by is not None,
                timeout=max(until_expired, timedelta(seconds=1)),
                timeout_summary="the hold expires",
            )
        except TimeoutError:
            return "expired"
        return "released"


async def claim_hold(authorization_id: str, expires_at: datetime) -> bool:
    """Called from the session: True when this session now holds the claim (or held it
    already: its own retries and runs after continue-as-new carry the same workflow id),
    False when another session holds it."""
    session_id = workflow.info().workflow_id
    claim_id = hold_claim_id(authorization_id)
    try:
        await workflow.start_child_workflow(
            HoldClaimWorkflow.run,
            HoldClaim(owner_session_id=session_id, expires_at=expires_at),
            id=claim_id,
            parent_close_policy=ParentClosePolicy.ABANDON,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"hold claimed by {session_id}",
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


async def release_hold(authorization_id: str) -> None:
    """Called from the session once its hold was captured or voided. A failed signal
    (the claim already expired) changes nothing: the claim ends at the hold's expiry."""
    handle = workflow.get_external_workflow_handle(hold_claim_id(authorization_id))
    try:
        await handle.signal(SIGNAL_RELEASE, workflow.info().workflow_id)
    except ApplicationError:
        workflow.logger.info("hold claim %s was already closed", handle.id)
