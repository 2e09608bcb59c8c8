"""What to do next: each stop reason, its threshold, and the next wake-up."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from core.money import Money
from tests.unit.session_fixtures import T0, at, snap, tariff
from workflows.budget import compute_budget
from workflows.contracts import ChargeSnapshot, SessionConfig, Tariff
from workflows.decide import Facts, decide, projected_price_minor
from workflows.merge import ChargeView, merge

CFG = SessionConfig(stop_delivery_latency_s=36, start_timeout_s=300, paused_timeout_s=600)
EUR = Money(amount_minor=5000, currency="EUR")  # kWh budget 69.090 at 0.55 + 25 % VAT


def _view(*snaps: ChargeSnapshot) -> ChargeView:
    view: ChargeView | None = None
    for s in snaps:
        view = merge(view, s, CFG.time_scale) or view
    assert view is not None
    return view


def _facts(view: ChargeView | None, now: datetime, t: Tariff | None = None, **kw: Any) -> Facts:
    t = t or tariff()
    return Facts(
        now=now,
        view=view,
        budget=compute_budget(EUR, t, CFG),
        tariff=t,
        config=CFG,
        accepted_at=T0,
        **{"stop_deadline": at(100_000), **kw},
    )


def test_kwh_budget_counts_the_overshoot_at_observed_power() -> None:
    # 36 kW observed (1 kWh in 100 s); latency 36 s -> 0.36 kWh overshoot; budget 69.090
    below = _view(snap(100, "67.70"), snap(200, "68.70"))
    assert decide(_facts(below, at(200))).stop is None
    near = _view(snap(100, "67.74"), snap(200, "68.74"))  # 68.74 + 0.36 >= 69.09
    assert decide(_facts(near, at(200))).stop == "kwh_budget"


def test_after_a_failed_increment_the_kwh_check_counts_until_the_next_reading() -> None:
    # 36 kW for 110 s more is 1.1 kWh: 67.70 + 0.36 + 1.1 >= 69.09 stops now, a reading early.
    below = _view(snap(100, "66.70"), snap(200, "67.70"))
    assert decide(_facts(below, at(200))).stop is None
    assert decide(_facts(below, at(200), reading_lead_s=110.0)).stop == "kwh_budget"


def test_price_budget_with_per_minute_fee_wakes_when_time_crosses_it() -> None:
    t = tariff(per_kwh_minor=10, per_minute_minor=20, vat_rate=Decimal(0))
    view = _view(snap(60, "1", started_at=T0))
    d = decide(_facts(view, at(60), t))
    assert d.stop is None and d.wake_at is not None
    # budget 4750; at 1 kWh: 10 + 20/min -> 237 min, minus the 0.6 min latency
    assert abs((d.wake_at - T0).total_seconds() - 236.5 * 60) < 60
    assert decide(_facts(view, d.wake_at, t)).stop == "price_budget"


def test_projected_price_never_below_montas_price() -> None:
    view = _view(snap(60, "1", started_at=T0, price_minor=999))
    assert projected_price_minor(_facts(view, at(60))) == 999


def test_no_energy_within_start_timeout() -> None:
    assert decide(_facts(None, at(299))).stop is None
    assert decide(_facts(None, at(299))).wake_at == at(300)
    assert decide(_facts(None, at(300))).stop == "no_energy"
    assert decide(_facts(_view(snap(10, "0", state="starting")), at(301))).stop == "no_energy"


def test_paused_too_long() -> None:
    view = _view(snap(10, "1"), snap(20, "1", state="paused"))
    assert decide(_facts(view, at(619))).wake_at == at(620)
    assert decide(_facts(view, at(620))).stop == "paused_timeout"


def test_requested_failed_and_hold_expiring() -> None:
    view = _view(snap(10, "1"))
    assert decide(_facts(view, at(20), stop_requested=True)).stop == "requested"
    failed = _view(snap(10, "1"), snap(20, "1", state="stopped", failed_at=at(20)))
    assert decide(_facts(failed, at(21))).stop == "charge_failed"
    expiring = _facts(view, at(50), stop_deadline=at(50))
    assert decide(expiring).stop == "hold_expiring"
