"""How much charge time the kWh check counts beyond the stop's overshoot
(workflows/session_facts.py `reading_lead_s`): none while Monta's cap bounds the hold."""

from __future__ import annotations

import pytest

from workflows.contracts import SessionConfig
from workflows.session_data import SessionData
from workflows.session_facts import reading_lead_s

CONFIG = SessionConfig(increment_ceiling_minor=10000, increment_lead_s=300.0, view_max_lag_s=60.0)


def test_nothing_is_counted_while_no_increment_is_asked_or_has_failed() -> None:
    assert reading_lead_s(SessionData(), CONFIG, increment_pending=False) == 0.0
    grown = SessionData(increments_ended="ceiling")
    assert reading_lead_s(grown, CONFIG, increment_pending=False) == 0.0


def test_while_an_increment_is_unanswered_the_time_to_the_next_reading_is_counted() -> None:
    assert reading_lead_s(SessionData(), CONFIG, increment_pending=True) == 60.0


@pytest.mark.parametrize("why", ["declined", "unsupported", "unanswered", "scheme_rule"])
def test_after_a_failed_increment_the_time_to_the_next_reading_is_counted(why: str) -> None:
    """Not the increment's whole lead: the session used to stop that early, well inside
    the hold (the fault matrix's failed cells captured about €8 of €25)."""
    assert reading_lead_s(SessionData(increments_ended=why), CONFIG, False) == 60.0
