"""Which settlement a session takes (the amounts themselves are settle.py's): Monta's
completed price, nothing when no charge completed, or, when Monta never reported
`completed` by the settle deadline (or the idle watch's end), the last known price. Each
with the idle fee chargepay bills, if any (workflows/session_idle.py)."""

from __future__ import annotations

from workflows.contracts import SessionConfig
from workflows.session_data import SessionData
from workflows.session_idle import (
    IDLE_WATCH_ENDED,
    idle_watch_ended,
    stopping_deadline,
    with_idle_fee,
)
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
    settlement = settle_completed(snapshot, data.tariff, authorized, config)
    return with_idle_fee(settlement, data, config, until=None)


def settlement_at_deadline(data: SessionData, config: SessionConfig) -> Settlement:
    """Past the settle deadline (or the idle watch) without `completed`: capture on the
    last known price, and idle time up to that deadline."""
    assert data.authorization is not None and data.tariff is not None
    until = stopping_deadline(data, config) if data.stopping_since is not None else None
    reason = IDLE_WATCH_ENDED if until and idle_watch_ended(data, config, until) else NO_COMPLETED
    settlement = settle_last_known(
        data.snapshot, data.tariff, data.authorization.amount, config, reason
    )
    return with_idle_fee(settlement, data, config, until=until)
