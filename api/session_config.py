"""The SessionConfig a new session freezes: every field that settings.py also has, plus the
operator's Monta queue, provider slug, and for the charge point its increment ceiling and
first hold and idle fee rule (workflows cannot read env)."""

from __future__ import annotations

from typing import Any

from core.operators import Operator
from settings import Settings
from workflows.contracts import SessionConfig


def session_config(
    settings: Settings, operator: Operator, charge_point_id: int | None = None
) -> SessionConfig:
    shared: dict[str, Any] = {
        name: getattr(settings, name)
        for name in SessionConfig.model_fields
        if hasattr(settings, name)
    }
    ceiling, first_hold = operator.increments_at(charge_point_id)
    return SessionConfig(
        **shared,
        monta_task_queue=operator.monta_task_queue,
        provider_slug=operator.provider_slug,
        increment_ceiling_minor=ceiling,
        first_hold_minor=first_hold,
        idle_fee=operator.idle_fee_rule(charge_point_id) if charge_point_id else None,
    )
