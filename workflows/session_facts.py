"""What `decide` is shown of a watching session (its state, the config and the time)."""

from __future__ import annotations

from datetime import datetime

from workflows.contracts import SessionConfig
from workflows.decide import Facts
from workflows.session_data import SessionData
from workflows.session_deadlines import stop_deadline

# An increment failed: the session stops at its hold before the next reading could be late.
_FAILED = ("declined", "unsupported", "unanswered", "scheme_rule")


def reading_lead_s(data: SessionData, config: SessionConfig, increment_pending: bool) -> float:
    """Charge time counted into the kWh check beyond the stop's own overshoot, wherever
    Monta's cap (set from the ceiling) no longer bounds the hold the session has: an
    increment failed, or one asked at an earlier decision is still unanswered. Then the
    time until the next reading (the API forwards one at least every view max lag), so the
    charge never runs a reading past the hold, and stops no earlier than that."""
    if increment_pending or data.increments_ended in _FAILED:
        return config.view_max_lag_s
    return 0.0


def watch_facts(
    data: SessionData, config: SessionConfig, now: datetime, increment_pending: bool = False
) -> Facts:
    """Only once the charge was accepted: the budget, tariff and hold are known by then.
    `increment_pending`: an increment asked before this decision has no answer yet."""
    assert data.budget and data.tariff and data.accepted_at
    assert data.authorization is not None
    return Facts(
        now=now,
        view=data.view,
        budget=data.budget,
        tariff=data.tariff,
        config=config,
        accepted_at=data.accepted_at,
        stop_deadline=stop_deadline(data.authorization, config),
        stop_requested=data.stop_requested is not None,
        reading_lead_s=reading_lead_s(data, config, increment_pending),
    )
