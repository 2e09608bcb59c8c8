"""One card-not-present session per charge point at a time (a claim, workflows/claims.py).

A start from a payment token places its own hold. Without a claim, twelve concurrent starts
on one point placed twelve holds, of which Monta's "busy" then made eleven be voided: money
blocked on eleven cards for nothing. Such a start therefore claims the point before it
authorizes; a point another token session holds ends the start `start_failed`
(`charge_point_in_use`) with no hold placed. A card-present start's hold exists before
chargepay sees it, so it goes to Monta as before. The claim ends once the session's charge
has ended or the session is final; the next session on the point takes the released id
again (ALLOW_DUPLICATE). Its expiry only bounds a claim nobody released.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy

from workflows.claims import Claim, ClaimHolder, give_back, take_claim

CHARGE_POINT_CLAIM_WORKFLOW = "ChargePointClaimWorkflow"
CLAIM_LIMIT = timedelta(days=2)  # longer than any session holds a point


def charge_point_claim_id(operator: str, charge_point_id: int) -> str:
    return f"charge-point-claim-{operator}-{charge_point_id}"


@workflow.defn(name=CHARGE_POINT_CLAIM_WORKFLOW)
class ChargePointClaimWorkflow(ClaimHolder):
    """Holds the point until the owning session's charge has ended."""

    @workflow.run
    async def run(self, claim: Claim) -> str:
        return await self.held_until_released("the claim's limit")


async def claim_charge_point(operator: str, charge_point_id: int) -> bool:
    """True when this session now holds the point, False when another session does."""
    session_id = workflow.info().workflow_id
    return await take_claim(
        ChargePointClaimWorkflow.run,
        charge_point_claim_id(operator, charge_point_id),
        workflow.now() + CLAIM_LIMIT,
        f"charge point {charge_point_id} claimed by {session_id}",
        WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )


async def release_charge_point(operator: str, charge_point_id: int) -> None:
    await give_back(charge_point_claim_id(operator, charge_point_id))
