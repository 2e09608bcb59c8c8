"""One hold pays for one session (invariant I1): a claim on the hold (workflows/claims.py).

A terminal's `authorization_ref`, or a hold placed from a payment token, could be presented
by any number of sessions: the acquirer's verify only reads the hold's status, so each of
them would see it usable and start a charge that only the first capture pays for. The
session therefore claims the hold right after verifying it, before Monta is called, by
starting `HoldClaimWorkflow` with an id derived from the hold. The claim ends when the
session releases it after the hold was captured or voided, or when the hold expires (an
increment that moves the hold's expiry moves the claim's with it). A
closed claim's id is never reused within the namespace's retention (REJECT_DUPLICATE), and
by then the acquirer itself refuses a captured, voided or expired hold. Old workers are
drained only after the longest hold (docs/upgrades.md).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy

from workflows.claims import Claim, ClaimHolder, extend_claim, give_back, take_claim

HOLD_CLAIM_WORKFLOW = "HoldClaimWorkflow"
HoldClaim = Claim  # the claim's input: its owner and when the hold expires


def hold_claim_id(authorization_id: str) -> str:
    """The claim's workflow id: a digest, so the hold's id itself never lands in a workflow
    id that operators list and search (it is not secret, but it is the acquirer's)."""
    digest = hashlib.sha256(authorization_id.encode()).hexdigest()[:32]
    return f"hold-claim-{digest}"


@workflow.defn(name=HOLD_CLAIM_WORKFLOW)
class HoldClaimWorkflow(ClaimHolder):
    """Holds the claim until the owning session releases it or the hold has expired."""

    @workflow.run
    async def run(self, claim: Claim) -> str:
        return await self.held_until_released("the hold expires")


async def claim_hold(authorization_id: str, expires_at: datetime) -> bool:
    """True when this session now holds the hold's claim, False when another one does."""
    session_id = workflow.info().workflow_id
    return await take_claim(
        HoldClaimWorkflow.run,
        hold_claim_id(authorization_id),
        expires_at,
        f"hold claimed by {session_id}",
        WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )


async def release_hold(authorization_id: str) -> None:
    """Once the hold was captured or voided."""
    await give_back(hold_claim_id(authorization_id))


async def extend_hold_claim(authorization_id: str, expires_at: datetime) -> None:
    """An increment moved the hold's expiry: the claim lasts as long as the hold does."""
    await extend_claim(hold_claim_id(authorization_id), expires_at)
