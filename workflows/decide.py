"""What a charging session should do next: stop now (and why), or when to look again.

Pure: the workflow hands in what it knows (merged charge view, budget, tariff, deadlines,
`workflow.now()`), and gets back a stop reason or None plus the next instant at which the
answer could change without any new snapshot (per-minute fees grow, timeouts expire).
Durations in the config are real-world seconds; instants are wall-clock (see core/clock).
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from core.clock import Clock
from workflows.budget import Budget, gross, idle_reserve_minor
from workflows.contracts import CHARGE_ENDED, SessionConfig, Tariff
from workflows.merge import ChargeView

StopReason = Literal[
    "requested",  # terminal / operator asked
    "kwh_budget",  # consumed + expected overshoot reached the kWh budget
    "price_budget",  # projected price reached the price budget
    "paused_timeout",  # paused longer than the setting
    "no_energy",  # no energy within the start timeout (no car)
    "charge_failed",  # Monta set failedAt / timeoutAt
    "hold_expiring",  # the card hold is about to expire
]
ENDED_STATES = CHARGE_ENDED


class Facts(BaseModel):
    """Everything `decide` looks at; built from the session's state (session_facts.py)."""

    model_config = ConfigDict(frozen=True)

    now: datetime
    view: ChargeView | None
    budget: Budget
    tariff: Tariff
    config: SessionConfig
    accepted_at: datetime  # Monta accepted the start
    stop_deadline: datetime  # stop before the hold expires (wall instant)
    stop_requested: bool = False
    # Charge time counted into the kWh check beyond the stop's overshoot, while Monta's cap
    # (the ceiling) does not bound the hold the session has (session_facts.reading_lead_s).
    reading_lead_s: float = 0.0


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    stop: StopReason | None = None
    wake_at: datetime | None = None  # earliest instant a timer must re-run decide


def overshoot_kwh(view: ChargeView, config: SessionConfig) -> Decimal:
    """Energy the charger still delivers while a stop travels: observed kW * latency."""
    power = view.power_kw or Decimal(0)
    return power * Decimal(str(config.stop_delivery_latency_s)) / 3600


def _charging_minutes(facts: Facts, at: datetime) -> Decimal:
    assert facts.view is not None
    start = facts.view.snapshot.started_at or facts.accepted_at
    wall_s = max(0.0, (at - start).total_seconds())
    return Decimal(str(Clock(facts.config.time_scale).real_seconds(wall_s))) / 60


def _price_at(facts: Facts, kwh: Decimal, minutes: Decimal) -> Decimal:
    """Gross price in minor units by the tariff, with the idle reserve counted in."""
    t = facts.tariff
    fee_minutes = max(Decimal(0), minutes - t.per_minute_after_minutes)
    net = (
        Decimal(t.start_fee_minor)
        + kwh * t.per_kwh_minor
        + fee_minutes * t.per_minute_minor
        + idle_reserve_minor(t, facts.config)
    )
    return gross(net, t.vat_rate)


def projected_price_minor(facts: Facts) -> int:
    """The price when a stop sent now takes effect: max(Monta's price, tariff projection)."""
    assert facts.view is not None
    snap = facts.view.snapshot
    latency_min = Decimal(str(facts.config.stop_delivery_latency_s)) / 60
    kwh = snap.consumed_kwh + overshoot_kwh(facts.view, facts.config)
    by_tariff = _price_at(facts, kwh, _charging_minutes(facts, facts.now) + latency_min)
    projected = int(by_tariff.to_integral_value(ROUND_CEILING))
    return max(projected, snap.price_minor or 0)


def _price_crossing(facts: Facts) -> datetime | None:
    """When per-minute fees alone push the projection to the price budget, at current kWh."""
    assert facts.view is not None
    t = facts.tariff
    if t.per_minute_minor <= 0:
        return None
    snap = facts.view.snapshot
    kwh = snap.consumed_kwh + overshoot_kwh(facts.view, facts.config)
    base = _price_at(facts, kwh, Decimal(0))
    budget_net = Decimal(facts.budget.price_budget.amount_minor) / (1 + t.vat_rate)
    base_net = base / (1 + t.vat_rate)
    latency_min = Decimal(str(facts.config.stop_delivery_latency_s)) / 60
    minutes = (budget_net - base_net) / t.per_minute_minor + t.per_minute_after_minutes
    minutes -= latency_min
    start = snap.started_at or facts.accepted_at
    return start + Clock(facts.config.time_scale).wall(float(max(minutes, Decimal(0)) * 60))


def _stop_reason(facts: Facts) -> StopReason | None:
    view, cfg, clock = facts.view, facts.config, Clock(facts.config.time_scale)
    if facts.stop_requested:
        return "requested"
    if view is None:
        if facts.now >= facts.accepted_at + clock.wall(cfg.start_timeout_s):
            return "no_energy"
        return None
    snap = view.snapshot
    if snap.failed_at is not None or snap.timeout_at is not None:
        return "charge_failed"
    lead_kwh = (view.power_kw or Decimal(0)) * Decimal(str(facts.reading_lead_s)) / 3600
    if snap.consumed_kwh + overshoot_kwh(view, cfg) + lead_kwh >= facts.budget.kwh_budget:
        return "kwh_budget"
    if projected_price_minor(facts) >= facts.budget.price_budget.amount_minor:
        return "price_budget"
    if snap.consumed_kwh <= 0 and facts.now >= facts.accepted_at + clock.wall(cfg.start_timeout_s):
        return "no_energy"
    if view.paused_since and facts.now >= view.paused_since + clock.wall(cfg.paused_timeout_s):
        return "paused_timeout"
    if facts.now >= facts.stop_deadline:
        return "hold_expiring"
    return None


def decide(facts: Facts) -> Decision:
    reason = _stop_reason(facts)
    if reason is not None:
        return Decision(stop=reason)
    clock = Clock(facts.config.time_scale)
    wakes: list[datetime] = [facts.stop_deadline]
    view = facts.view
    if view is None or view.snapshot.consumed_kwh <= 0:
        wakes.append(facts.accepted_at + clock.wall(facts.config.start_timeout_s))
    if view is not None:
        if view.paused_since is not None:
            wakes.append(view.paused_since + clock.wall(facts.config.paused_timeout_s))
        if view.snapshot.state not in ENDED_STATES:
            crossing = _price_crossing(facts)
            if crossing is not None:
                wakes.append(crossing)
    return Decision(wake_at=min(wakes))
