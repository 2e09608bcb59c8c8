"""The workflows a session worker runs: the session and the claims (hold, charge point) it
starts as children (on the same queue, so a claim runs wherever its session's worker runs)."""

from __future__ import annotations

from workflows.charge_point_claim import ChargePointClaimWorkflow
from workflows.hold_claim import HoldClaimWorkflow
from workflows.session import ChargeSessionWorkflow
from workflows.session_records import SessionRecordsWorkflow

# SessionRecordsWorkflow: a completed session's refunds, on the session queue as well.
SESSION_WORKFLOWS = (
    ChargeSessionWorkflow,
    HoldClaimWorkflow,
    ChargePointClaimWorkflow,
    SessionRecordsWorkflow,
)
