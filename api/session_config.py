"""The SessionConfig a new session freezes: every field that settings.py also has, plus the
operator's Monta queue, provider slug, increment ceiling and first hold, and idle fee rule
for the charge point (workflows cannot read env)."""

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
    return SessionConfig(
        **shared,
        monta_task_queue=operator.monta_task_queue,
        provider_slug=operator.provider_slug,
        increment_ceiling_minor=operator.increment_ceiling_minor,
        first_hold_minor=operator.first_hold_minor,
        idle_fee=operator.idle_fee_rule(charge_point_id) if charge_point_id else None,
    )
