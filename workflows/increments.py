"""Incremental authorization: when the session asks the acquirer to raise its hold, and by
how much. Pure; the workflow side is workflows/session_increments.py.

The session reads the charge only every so often (below Monta's near-cap band the API
forwards a reading at least every `CHARGEPAY_VIEW_MAX_LAG_S`), so it must ask while the
energy the car draws until the next reading still fits the current hold:

    due   when consumed + overshoot + P * lead >= kWh budget
          or   projected price + gross(p_eff * P * lead) >= price budget
    extra = gross(p_eff * P * horizon), at least `increment_min_minor`, rounded up to
            `increment_step_minor`, never past the operator's ceiling

P is the observed power (the expected power until the charger reports one); `lead` is
`increment_lead_s` (time to the next reading plus the call), `horizon` is how much
charging one increment should buy. All money is integer minor units of the hold.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from pydantic import BaseModel, ConfigDict

from core.money import Money
from workflows.budget import Budget, gross
from workflows.contracts import SessionConfig, Tariff

_HOUR_S = Decimal(3600)


class TopUpFacts(BaseModel):
    """What the top-up decision looks at, built by the workflow from its state."""

    model_config = ConfigDict(frozen=True)

    authorized: Money  # the hold as it stands (first hold plus increments)
    budget: Budget  # computed from `authorized`
    tariff: Tariff
    config: SessionConfig
    consumed_kwh: Decimal
    overshoot_kwh: Decimal  # what a stop sent now still lets through
    power_kw: Decimal | None  # observed; None before the charger reported any
    projected_price_minor: int  # the price a stop sent now would settle on (gross)


def enabled(config: SessionConfig, authorized: Money) -> bool:
    """Increments are on (the operator set a ceiling) and the hold is below it."""
    return config.increment_ceiling_minor > authorized.amount_minor


def first_hold(amount: Money, config: SessionConfig) -> Money:
    """What a token (card-not-present) start authorizes first: with increments on and the
    operator's `first_hold_minor` set, at most that; otherwise the start's amount."""
    if config.increment_ceiling_minor == 0 or config.first_hold_minor == 0:
        return amount
    return Money(
        amount_minor=min(amount.amount_minor, config.first_hold_minor), currency=amount.currency
    )


def ceiling(config: SessionConfig, currency: str) -> Money:
    return Money(amount_minor=config.increment_ceiling_minor, currency=currency)


def _power(facts: TopUpFacts) -> Decimal:
    power = facts.power_kw
    return power if power is not None and power > 0 else facts.config.expected_power_kw


def _gross_cost(facts: TopUpFacts, kwh: Decimal) -> Decimal:
    return gross(kwh * facts.budget.effective_per_kwh_minor, facts.tariff.vat_rate)


def top_up_due(facts: TopUpFacts) -> bool:
    """True when the hold will not last until the reading after next at the observed power."""
    if not enabled(facts.config, facts.authorized):
        return False
    lead_kwh = _power(facts) * Decimal(str(facts.config.increment_lead_s)) / _HOUR_S
    if facts.consumed_kwh + facts.overshoot_kwh + lead_kwh >= facts.budget.kwh_budget:
        return True
    price_at_next = facts.projected_price_minor + _gross_cost(facts, lead_kwh)
    return price_at_next >= facts.budget.price_budget.amount_minor


def top_up_amount(facts: TopUpFacts) -> Money | None:
    """How much to add: `horizon` of charging at the observed power, bounded by the ceiling;
    None when the hold is at the ceiling already."""
    cfg, cur = facts.config, facts.authorized.currency
    room = cfg.increment_ceiling_minor - facts.authorized.amount_minor
    if room <= 0:
        return None
    kwh = _power(facts) * Decimal(str(cfg.increment_horizon_s)) / _HOUR_S
    wanted = max(int(_gross_cost(facts, kwh).to_integral_value(ROUND_CEILING)), 1)
    wanted = max(wanted, cfg.increment_min_minor)
    step = max(cfg.increment_step_minor, 1)
    wanted = -(-wanted // step) * step
    return Money(amount_minor=min(wanted, room), currency=cur)
