"""How much energy a card hold buys: the session's soft budgets and Monta's hard caps.

Formula (docs/design.md, "The budget"), all money in minor units of the hold's currency,
tariff prices net of VAT, the hold (and Monta's `price`) gross:

    A_net  = A / (1 + VAT)
    p_eff  = p_kWh + p_min * 60 / P_expected          (minor units per kWh, net)
    E_max  = (A_net * (1 - m) - start_fee - idle_reserve) / p_eff

`E_max` is our **soft** kWh budget: the session stops when consumed kWh plus the expected
overshoot reaches it. The **hard** caps we hand Monta (`kwhLimit`, `priceLimit`) use the
same formula with m = 0: if we are slow (worker down, webhooks late) the charger itself
stops at what the hold buys, so the charge never costs more than was authorized, and the
margin m is ours to spend on latency instead of being eaten twice.

The API signals every webhook reading only from `webhook_near_cap_ratio` (r) * kwhLimit on;
below that it holds routine readings back. So that the session sees every reading from its
soft budget on, kwhLimit is lowered to at most E_max / r when a large start fee or idle reserve
would put E_max below that band. Monta then stops such a charge earlier than the hold
allows, never later.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from pydantic import BaseModel, ConfigDict

from core.money import Money
from workflows.contracts import SessionConfig, Tariff
from workflows.idle_fees import idle_rules, reserve_net_minor

MONTA_KWH_LIMIT_MIN = Decimal("1")
MONTA_KWH_LIMIT_MAX = Decimal("500")
MIN_KWH_BUDGET = Decimal("1")
_KWH_STEP = Decimal("0.001")


class BudgetRejected(ValueError):
    """The hold cannot pay for a session at this charge point; `code` is machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Budget(BaseModel):
    model_config = ConfigDict(frozen=True)

    kwh_budget: Decimal  # soft: stop when consumed + overshoot reaches it
    price_budget: Money  # soft: stop when the projected price reaches it (gross)
    kwh_limit: Decimal  # hard cap for Monta, clamped to 1..500
    price_limit: Money  # hard cap for Monta (gross: the authorized amount, or the ceiling)
    effective_per_kwh_minor: Decimal  # p_eff, net


def near_cap(consumed_kwh: Decimal, kwh_limit: Decimal | None, ratio: Decimal) -> bool:
    """At or past `ratio` of Monta's hard cap: the band in which every reading reaches the
    session (the API's coalescing, the watcher's backstop), and in which the session's soft
    kWh budget lies (`compute_budget`). Without a known cap nothing is near it."""
    return kwh_limit is not None and kwh_limit > 0 and consumed_kwh >= ratio * kwh_limit


def gross(net_minor: Decimal, vat_rate: Decimal) -> Decimal:
    return net_minor * (1 + vat_rate)


def idle_reserve_minor(tariff: Tariff, config: SessionConfig) -> int:
    """min(idle cap, idle fee * (expected idle minutes - grace)), net; cap 0 means uncapped.
    The fee is Monta's price group's, else the operator's for the point (idle_fees.py)."""
    rules = idle_rules(tariff, config.idle_fee)
    return reserve_net_minor(rules, config.idle_reserve_minutes)


def effective_per_kwh(tariff: Tariff, expected_power_kw: Decimal) -> Decimal:
    per_minute = Decimal(tariff.per_minute_minor) * 60 / expected_power_kw
    return Decimal(tariff.per_kwh_minor) + per_minute


def _energy(authorized: Money, tariff: Tariff, config: SessionConfig, margin: Decimal) -> Decimal:
    a_net = Decimal(authorized.amount_minor) / (1 + tariff.vat_rate)
    spendable = a_net * (1 - margin) - tariff.start_fee_minor
    spendable -= idle_reserve_minor(tariff, config)
    p_eff = effective_per_kwh(tariff, config.expected_power_kw)
    if p_eff <= 0:
        return MONTA_KWH_LIMIT_MAX  # free energy: only the hard cap bounds it
    return max(Decimal(0), spendable / p_eff).quantize(_KWH_STEP, rounding=ROUND_DOWN)


def compute_budget(authorized: Money, tariff: Tariff, config: SessionConfig) -> Budget:
    """The session's budgets, or BudgetRejected (currency mismatch, less than 1 kWh)."""
    if authorized.currency != tariff.currency.upper():
        raise BudgetRejected(
            "currency_mismatch",
            f"card currency {authorized.currency} differs from the charge point's "
            f"{tariff.currency.upper()}",
        )
    margin = config.budget_safety_margin
    kwh_budget = _energy(authorized, tariff, config, margin)
    if kwh_budget < MIN_KWH_BUDGET:
        raise BudgetRejected(
            "budget_too_small",
            f"{authorized} buys {kwh_budget} kWh at this tariff; at least "
            f"{MIN_KWH_BUDGET} kWh is needed",
        )
    # With increments on, Monta's caps come from the operator's ceiling: Monta cannot raise
    # them later. The session's soft budgets stay those of the hold it has; readings
    # below the near-cap band still reach it every view max lag (docs/increments.md).
    hard_cap = authorized
    if config.increment_ceiling_minor > authorized.amount_minor:
        hard_cap = Money(amount_minor=config.increment_ceiling_minor, currency=authorized.currency)
    hard = _energy(hard_cap, tariff, config, Decimal(0))
    band = config.webhook_near_cap_ratio
    if band is not None and hard_cap is authorized:
        hard = min(hard, (kwh_budget / band).quantize(_KWH_STEP, rounding=ROUND_DOWN))
    kwh_limit = min(max(hard, MONTA_KWH_LIMIT_MIN), MONTA_KWH_LIMIT_MAX)
    price_budget_minor = int(
        (Decimal(authorized.amount_minor) * (1 - margin)).to_integral_value(ROUND_DOWN)
    )
    return Budget(
        kwh_budget=min(kwh_budget, kwh_limit),
        price_budget=Money(amount_minor=price_budget_minor, currency=authorized.currency),
        kwh_limit=kwh_limit,
        price_limit=hard_cap,
        effective_per_kwh_minor=effective_per_kwh(tariff, config.expected_power_kw),
    )
