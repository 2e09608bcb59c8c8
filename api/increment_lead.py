"""A start-up check of the increment lead (docs/increments.md). A session asks for an
increment `CHARGEPAY_INCREMENT_LEAD_S` of charge time before its hold would run out. That
must cover the time until its next reading (`CHARGEPAY_VIEW_MAX_LAG_S`) plus the acquirer's
longest answer (`CHARGEPAY_INCREMENT_TIMEOUT_S`, wall clock: times TIME_SCALE in charge time).
Shorter, a slow answer lets the hold run out first, and the session stops at it, short of
what the ceiling would have bought. The money stays safe, so the API warns and starts.

The check lives in the API because the API freezes these settings into each new session's
config (api/session_config.py)."""

from __future__ import annotations

from collections.abc import Mapping

from core.operators import Operator
from settings import Settings


def increment_lead_needed_s(settings: Settings) -> float:
    return settings.view_max_lag_s + settings.increment_timeout_s * settings.time_scale


def increment_lead_warning(settings: Settings, operators: Mapping[str, Operator]) -> str | None:
    """A warning when an operator has increments on and the lead is too short, else None."""
    on = sorted(key for key, op in operators.items() if op.increment_ceiling_minor > 0)
    needed = increment_lead_needed_s(settings)
    if not on or settings.increment_lead_s >= needed:
        return None
    return (
        f"CHARGEPAY_INCREMENT_LEAD_S is {settings.increment_lead_s:g} s with increments on "
        f"for {', '.join(on)}; it should be at least CHARGEPAY_VIEW_MAX_LAG_S + "
        f"CHARGEPAY_INCREMENT_TIMEOUT_S x TIME_SCALE = {needed:g} s, or a slow answer stops "
        "a session at its hold before the increment comes (docs/increments.md)"
    )
