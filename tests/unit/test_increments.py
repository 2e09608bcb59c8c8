"""When the session asks for an increment, and how much (workflows/increments.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from api.quotes import QuoteService
from api.session_config import session_config
from core.money import Money
from core.operators import Operator
from settings import Settings
from tests.unit.session_fixtures import tariff
from workflows.budget import compute_budget
from workflows.contracts import ChargePointInfo, SessionConfig, TariffQuote
from workflows.increments import TopUpFacts, enabled, first_hold, top_up_amount, top_up_due

# 55 c/kWh net, 25 % VAT (68.75 c gross), 5 % margin: €25 buys 34.545 kWh, price budget 2375.
ON: dict[str, Any] = {"increment_ceiling_minor": 10000, "increment_lead_s": 300.0}


def _facts(
    held: int = 2500, kwh: str = "0", power: str | None = "11", price: int = 0, **cfg: Any
) -> TopUpFacts:
    config = SessionConfig(**{**ON, **cfg})
    authorized = Money(amount_minor=held, currency="EUR")
    t = tariff()
    return TopUpFacts(
        authorized=authorized,
        budget=compute_budget(authorized, t, config),
        tariff=t,
        config=config,
        consumed_kwh=Decimal(kwh),
        overshoot_kwh=Decimal(0),
        power_kw=Decimal(power) if power is not None else None,
        projected_price_minor=price,
    )


def test_off_without_a_ceiling_or_at_it() -> None:
    assert not enabled(SessionConfig(), Money(amount_minor=2500, currency="EUR"))
    assert not top_up_due(_facts(kwh="34.5", increment_ceiling_minor=0))
    assert not top_up_due(_facts(held=10000, kwh="130"))
    assert top_up_amount(_facts(held=10000)) is None


def test_due_when_the_energy_until_the_next_reading_would_not_fit() -> None:
    # 5 min at 11 kW is 0.9167 kWh: due from 34.545 - 0.9167 = 33.63 kWh on.
    assert not top_up_due(_facts(kwh="33.6"))
    assert top_up_due(_facts(kwh="33.7"))
    # A faster car is asked for earlier: 5 min at 50 kW is 4.17 kWh.
    assert top_up_due(_facts(kwh="30.5", power="50"))
    # Before any power was observed, the expected power stands in.
    assert top_up_due(_facts(kwh="33.7", power=None))


def test_due_when_the_price_would_reach_the_price_budget() -> None:
    # 0.9167 kWh cost 63.02 gross: due from a projected 2312 on (price budget 2375).
    assert not top_up_due(_facts(kwh="1", price=2311))
    assert top_up_due(_facts(kwh="1", price=2312))


def test_amount_buys_the_horizon_at_observed_power_rounded_up_to_the_step() -> None:
    # 30 min at 11 kW = 5.5 kWh * 68.75 = 378.1 -> 379 -> step 100 -> 400; minimum 500.
    assert top_up_amount(_facts()) == Money(amount_minor=500, currency="EUR")
    # At 50 kW: 25 kWh * 68.75 = 1718.75 -> 1719 -> 1800.
    assert top_up_amount(_facts(power="50")) == Money(amount_minor=1800, currency="EUR")
    # Never past the ceiling: 300 left.
    assert top_up_amount(_facts(held=9700, power="50")) == Money(amount_minor=300, currency="EUR")


def test_ceiling_sets_montas_caps_while_the_soft_budgets_follow_the_hold() -> None:
    cfg = SessionConfig(increment_ceiling_minor=10000, webhook_near_cap_ratio=Decimal("0.8"))
    b = compute_budget(Money(amount_minor=2500, currency="EUR"), tariff(), cfg)
    assert b.kwh_budget == Decimal("34.545") and b.price_budget.amount_minor == 2375
    # 8000 net / 55 = 145.454 kWh: from the ceiling, not lowered to the near-cap band.
    assert b.kwh_limit == Decimal("145.454") and b.price_limit.amount_minor == 10000
    off = compute_budget(Money(amount_minor=2500, currency="EUR"), tariff(), SessionConfig())
    assert off.kwh_limit == Decimal("36.363") and off.price_limit.amount_minor == 2500


def _operator(**kw: Any) -> Operator:
    return Operator(
        key="alpha",
        name="Alpha",
        monta_client_id="id",
        monta_client_secret=SecretStr("s"),
        default_paying_team_id=1,
        **kw,
    )


def test_the_operators_ceiling_reaches_the_session_and_is_off_by_default() -> None:
    assert session_config(Settings(), _operator()).increment_ceiling_minor == 0
    on = _operator(increment_ceiling_minor=15000)
    assert session_config(Settings(), on).increment_ceiling_minor == 15000


def test_the_first_hold_is_the_operators_only_with_increments_on() -> None:
    hundred = Money(amount_minor=10000, currency="EUR")
    on = SessionConfig(increment_ceiling_minor=15000, first_hold_minor=2500)
    assert first_hold(hundred, on) == Money(amount_minor=2500, currency="EUR")
    # Never more than the start asked for; the start's amount while the setting is unset.
    assert first_hold(Money(amount_minor=1500, currency="EUR"), on).amount_minor == 1500
    assert first_hold(hundred, SessionConfig(increment_ceiling_minor=15000)) == hundred
    # Increments off: the setting is not used (the operators file refuses it then, below).
    assert first_hold(hundred, SessionConfig(first_hold_minor=2500)) == hundred


def test_the_operators_first_hold_reaches_the_session_and_is_validated() -> None:
    on = _operator(increment_ceiling_minor=15000, first_hold_minor=2500)
    assert session_config(Settings(), on).first_hold_minor == 2500
    assert session_config(Settings(), _operator()).first_hold_minor == 0
    with pytest.raises(ValidationError, match="above the ceiling"):
        _operator(increment_ceiling_minor=15000, first_hold_minor=15001)
    with pytest.raises(ValidationError, match="needs increments on"):
        _operator(first_hold_minor=2500)
    with pytest.raises(ValidationError):
        _operator(increment_ceiling_minor=15000, first_hold_minor=-1)


def test_an_operator_keeps_increments_off_at_the_points_it_names() -> None:
    """The operator's choice per site: with increments on, Monta's caps come from the
    ceiling, a risk an operator may not take at every charge point."""
    op = _operator(
        increment_ceiling_minor=15000, first_hold_minor=2500, increments_off_points=(21,)
    )
    at_21, at_22 = session_config(Settings(), op, 21), session_config(Settings(), op, 22)
    assert (at_21.increment_ceiling_minor, at_21.first_hold_minor) == (0, 0)
    assert (at_22.increment_ceiling_minor, at_22.first_hold_minor) == (15000, 2500)
    with pytest.raises(ValidationError, match="needs increments on"):
        _operator(increments_off_points=(21,))
    with pytest.raises(ValidationError):
        _operator(increment_ceiling_minor=15000, increments_off_points=(0,))


class _FixedTariff(QuoteService):
    """Quotes on the test tariff, without Monta."""

    async def tariff(self, operator: Operator, charge_point_id: int) -> TariffQuote:
        point = ChargePointInfo(id=charge_point_id, state="available", available=True)
        return TariffQuote(charge_point=point, tariff=tariff())


async def test_the_quote_shows_the_ceiling_and_the_caps_it_sets() -> None:
    service, op = _FixedTariff(Settings()), _operator()
    off = await service.quote(op, SessionConfig(), 21, 2500, "EUR")
    assert off.increment_ceiling is None
    on = await service.quote(op, SessionConfig(increment_ceiling_minor=10000), 21, 2500, "EUR")
    assert on.increment_ceiling == Money(amount_minor=10000, currency="EUR")
    assert on.budget is not None and on.budget.price_limit.amount_minor == 10000
    assert on.budget.kwh_budget == Decimal("34.545")
    assert off.first_hold is None and on.first_hold is None  # no first hold set


async def test_the_quote_shows_the_first_hold_a_token_start_blocks() -> None:
    service, op = _FixedTariff(Settings()), _operator()
    cfg = SessionConfig(increment_ceiling_minor=15000, first_hold_minor=2500)
    asked = await service.quote(op, cfg, 21, 10000, "EUR")
    assert asked.first_hold == Money(amount_minor=2500, currency="EUR")
    small = await service.quote(op, cfg, 21, 1500, "EUR")  # never more than the start's amount
    assert small.first_hold == Money(amount_minor=1500, currency="EUR")
    bare = await service.quote(op, cfg, 21, None, None)
    assert bare.first_hold == Money(amount_minor=2500, currency="EUR")
