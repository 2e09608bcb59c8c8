"""Settlement: capture amount, uncollected shortfall and operator flags."""

from __future__ import annotations

from decimal import Decimal

from core.money import Money
from tests.unit.session_fixtures import at, snap, tariff
from workflows.contracts import SessionConfig
from workflows.settle import settle_completed, settle_last_known, tariff_price_range

CFG = SessionConfig()
EUR = Money(amount_minor=5000, currency="EUR")


def _done(kwh: str, price: int | None, **kw: object) -> object:
    return snap(
        3600,
        kwh,
        state="completed",
        price_minor=price,
        currency="EUR",
        started_at=at(0),
        stopped_at=at(3000),
        completed_at=at(3600),
        **kw,
    )


def test_price_matching_the_tariff_is_captured() -> None:
    # 20 kWh * 55 * 1.25 = 1375
    s = settle_completed(_done("20", 1375), tariff(), EUR, CFG)  # type: ignore[arg-type]
    assert s.capture == Money(amount_minor=1375, currency="EUR")
    assert s.uncollected.amount_minor == 0 and s.attention is None


def test_price_above_authorized_is_capped_and_shortfall_recorded() -> None:
    # 80 kWh * 55 * 1.25 = 5500 > 5000 authorized
    s = settle_completed(_done("80", 5500), tariff(), EUR, CFG)  # type: ignore[arg-type]
    assert s.capture == EUR
    assert s.uncollected == Money(amount_minor=500, currency="EUR")


def test_price_in_wrong_units_is_flagged_and_smaller_captured() -> None:
    # Monta reported minor units where major was expected: 137500 vs 1375
    s = settle_completed(_done("20", 137500), tariff(), EUR, CFG)  # type: ignore[arg-type]
    assert s.capture == Money(amount_minor=1375, currency="EUR")
    assert s.attention is not None and s.attention.startswith("price_mismatch")
    low = settle_completed(_done("20", 900), tariff(), EUR, CFG)  # type: ignore[arg-type]
    assert low.capture.amount_minor == 900 and low.attention is not None


def test_small_rounding_difference_is_within_tolerance() -> None:
    s = settle_completed(_done("20", 1378), tariff(), EUR, CFG)  # type: ignore[arg-type]
    assert s.capture.amount_minor == 1378 and s.attention is None


def test_nothing_delivered_voids() -> None:
    assert settle_completed(_done("0", 0), tariff(), EUR, CFG).void  # type: ignore[arg-type]


def test_idle_fee_widens_the_accepted_range_up_to_its_cap() -> None:
    t = tariff(idle_per_minute_minor=10, idle_cap_minor=100, vat_rate=Decimal(0))
    low, high = tariff_price_range(_done("20", None), t, CFG)  # type: ignore[arg-type]
    assert (low, high) == (1100, 1200)  # 10 idle minutes, capped at 100


def test_last_known_price_is_captured_and_flagged() -> None:
    s = settle_last_known(snap(10, "5", price_minor=344), tariff(), EUR, CFG, "hold_expiring")
    assert s.capture.amount_minor == 344 and s.attention == "hold_expiring"
    none = settle_last_known(None, tariff(), EUR, CFG, "hold_expiring")
    assert none.void


def test_last_known_price_gets_the_same_unit_check_as_a_completed_one() -> None:
    """A car left plugged in overnight settles on the last known price: a price 100 times
    the tariff's (minor units read as major) must not take the whole hold."""
    # 5 kWh * 55 * 1.25 = 343.75 by the tariff; Monta's price read in the wrong unit.
    s = settle_last_known(snap(10, "5", price_minor=34375), tariff(), EUR, CFG, "hold_expiring")
    assert s.capture.amount_minor == 343
    assert s.attention is not None and "price_mismatch" in s.attention
    assert "hold_expiring" in s.attention


def test_last_known_price_in_another_currency_is_not_read_as_the_holds() -> None:
    dkk = snap(10, "5", price_minor=400, currency="DKK")
    s = settle_last_known(dkk, tariff(), EUR, CFG, "hold_expiring")
    assert s.capture.amount_minor == 343
    assert s.attention is not None and "price_currency_mismatch" in s.attention
