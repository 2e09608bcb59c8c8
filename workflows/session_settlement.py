"""Which settlement a session takes (the amounts themselves are settle.py's): Monta's
completed price, nothing when no charge completed, or, when Monta never reported
`completed` by the settle deadline, the last known price."""

from __future__ import annotations

from workflows.contracts import SessionConfig
from workflows.session_data import SessionData
from workflows.settle import Settlement, nothing, settle_completed, settle_last_known

# The operator flag of a session that captured without Monta's final price.
NO_COMPLETED = "no_completed_before_capture_deadline"


def settlement_on_completion(data: SessionData, config: SessionConfig) -> Settlement:
    """In `settling`: the completed charge's price, or nothing (void) without one."""
    assert data.authorization is not None
    authorized, snapshot = data.authorization.amount, data.snapshot
    if snapshot is None or not data.charge_completed:
        return nothing(authorized)
    assert data.tariff is not None
    return settle_completed(snapshot, data.tariff, authorized, config)


def settlement_at_deadline(data: SessionData, config: SessionConfig) -> Settlement:
    """Past the settle deadline without `completed`: capture on the last known price."""
    assert data.authorization is not None and data.tariff is not None
    return settle_last_known(
        data.snapshot, data.tariff, data.authorization.amount, config, NO_COMPLETED
    )
