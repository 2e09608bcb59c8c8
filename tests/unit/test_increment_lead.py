"""The API's start-up check of the increment lead (api/increment_lead.py): with increments on,
the lead must cover the view's lag plus the acquirer's timeout in charge time."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from api.increment_lead import increment_lead_needed_s, increment_lead_warning
from core.operators import Operator
from settings import Settings


def _operators(ceiling: int) -> dict[str, Operator]:
    op = Operator(
        key="alpha",
        name="Alpha",
        monta_client_id="id",
        monta_client_secret=SecretStr("s"),
        default_paying_team_id=1,
        increment_ceiling_minor=ceiling,
    )
    return {"alpha": op}


def _settings(**kw: Any) -> Settings:
    return Settings.model_validate(kw)


def test_the_lead_needed_is_the_views_lag_plus_the_timeout_in_charge_time() -> None:
    s = _settings(view_max_lag_s=60.0, increment_timeout_s=60.0, TIME_SCALE=30.0)
    assert increment_lead_needed_s(s) == 60.0 + 60.0 * 30.0


def test_a_short_lead_with_increments_on_is_warned_about_with_what_it_needs() -> None:
    s = _settings(increment_lead_s=300.0, increment_timeout_s=60.0, TIME_SCALE=30.0)
    warning = increment_lead_warning(s, _operators(15000))
    assert warning is not None and "1860 s" in warning and "alpha" in warning


def test_no_warning_when_the_lead_suffices_or_increments_are_off() -> None:
    production = _settings(TIME_SCALE=1.0)  # the defaults: 300 >= 60 + 60
    assert increment_lead_warning(production, _operators(15000)) is None
    fast = _settings(increment_lead_s=300.0, increment_timeout_s=60.0, TIME_SCALE=30.0)
    assert increment_lead_warning(fast, _operators(0)) is None
