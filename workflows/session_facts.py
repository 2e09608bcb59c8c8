"""What `decide` is shown of a watching session (its state, the config and the time)."""

from __future__ import annotations

from datetime import datetime

from workflows.contracts import SessionConfig
from workflows.decide import Facts
from workflows.session_data import SessionData
from workflows.session_deadlines import stop_deadline

# An increment failed: the session stops at its hold before the next reading could be late.
_FAILED = ("declined", "unsupported", "unanswered", "scheme_rule")


def watch_facts(data: SessionData, config: SessionConfig, now: datetime) -> Facts:
    """Only once the charge was accepted: the budget, tariff and hold are known by then."""
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
        reading_lead_s=config.increment_lead_s if data.increments_ended in _FAILED else 0.0,
    )
