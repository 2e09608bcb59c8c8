"""Budget maths with worked examples (docs/design.md, "The budget")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.money import Money
from tests.unit.session_fixtures import tariff
from workflows.budget import BudgetRejected, compute_budget
from workflows.contracts import SessionConfig

EUR50 = Money(amount_minor=5000, currency="EUR")


def test_reference_example_50_eur_25_vat_start_fee_10_percent_margin() -> None:
    # A_net = 5000/1.25 = 4000; 4000*0.9 - 100 = 3500; 3500/55 = 63.636 kWh
    cfg = SessionConfig(budget_safety_margin=Decimal("0.10"))
    b = compute_budget(EUR50, tariff(start_fee_minor=100), cfg)
    assert b.kwh_budget == Decimal("63.636")
    assert b.price_budget == Money(amount_minor=4500, currency="EUR")
    # hard cap without margin: (4000 - 100)/55 = 70.909
    assert b.kwh_limit == Decimal("70.909")
    assert b.price_limit == EUR50


def test_per_minute_fee_at_expected_power_raises_the_effective_price() -> None:
    # p_eff = 40 + 10*60/11 = 94.545.. ; A_net = 2000 (no VAT); 2000*0.95 / 94.545 = 20.096
    cfg = SessionConfig(expected_power_kw=Decimal("11"))
    t = tariff(per_kwh_minor=40, per_minute_minor=10, vat_rate=Decimal(0))
    b = compute_budget(Money(amount_minor=2000, currency="EUR"), t, cfg)
    assert b.kwh_budget == Decimal("20.096")
    assert b.effective_per_kwh_minor.quantize(Decimal("0.001")) == Decimal("94.545")


def test_idle_reserve_is_capped() -> None:
    # reserve = min(30 min * 10, cap 200) = 200; (4000*0.95 - 200)/55 = 65.454
    cfg = SessionConfig(idle_reserve_minutes=30)
    t = tariff(idle_per_minute_minor=10, idle_cap_minor=200)
    assert compute_budget(EUR50, t, cfg).kwh_budget == Decimal("65.454")


def test_hard_cap_is_clamped_to_monta_range() -> None:
    big = Money(amount_minor=1_000_000, currency="EUR")
    b = compute_budget(big, tariff(per_kwh_minor=10), SessionConfig())
    assert b.kwh_limit == Decimal("500")
    assert b.kwh_budget == Decimal("500")


def test_currency_mismatch_is_rejected() -> None:
    with pytest.raises(BudgetRejected) as err:
        compute_budget(Money(amount_minor=5000, currency="DKK"), tariff(), SessionConfig())
    assert err.value.code == "currency_mismatch"


def test_budget_below_one_kwh_is_rejected() -> None:
    # 60 / 1.25 * 0.95 = 45.6 minor units net / 55 per kWh = 0.829 kWh
    with pytest.raises(BudgetRejected) as err:
        compute_budget(Money(amount_minor=60, currency="EUR"), tariff(), SessionConfig())
    assert err.value.code == "budget_too_small"


BAND = Decimal("0.9")


def test_kwh_limit_is_lowered_to_keep_the_budget_in_the_apis_band() -> None:
    # The reference example's budget sits at 63.636 / 70.909 = 0.897 of its cap, below the
    # API's 0.9 band: the cap comes down to 63.636 / 0.9 = 70.706 kWh.
    cfg = SessionConfig(budget_safety_margin=Decimal("0.10"), webhook_near_cap_ratio=BAND)
    b = compute_budget(EUR50, tariff(start_fee_minor=100), cfg)
    assert b.kwh_budget == Decimal("63.636")
    assert b.kwh_limit == Decimal("70.706")
    # The default margin leaves it inside the band: the cap stays what the hold buys.
    cfg = SessionConfig(webhook_near_cap_ratio=BAND)
    assert compute_budget(EUR50, tariff(start_fee_minor=100), cfg).kwh_limit == Decimal("70.909")


@pytest.mark.parametrize("start_fee", [0, 500, 1500, 2500, 3000, 3400])
def test_with_a_band_every_budget_is_inside_it_and_the_cap_never_above_the_hold(
    start_fee: int,
) -> None:
    t = tariff(start_fee_minor=start_fee)
    plain = compute_budget(EUR50, t, SessionConfig())
    banded = compute_budget(EUR50, t, SessionConfig(webhook_near_cap_ratio=BAND))
    assert banded.kwh_budget == plain.kwh_budget
    assert banded.kwh_budget >= BAND * banded.kwh_limit
    assert plain.kwh_budget <= banded.kwh_limit <= plain.kwh_limit
