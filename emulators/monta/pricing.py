"""The price formula. All maths in Decimal minor units; rounding only when reported.

price = (start fee
         + kWh x per-kWh price
         + billable charging minutes x minute fee      (after `minuteFeeAfterMinutes`)
         + min(billable idle minutes x idle fee, cap)) (after `idleFeeAfterMinutes`)
        x (1 + VAT %)
The start fee applies once energy flowed or the car plugged in (`startedAt` set).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from core.money import currency_decimals, minor_to_decimal
from emulators.monta.seed import PriceGroupSeed

_MIN = Decimal(60)


def net_minor(
    pg: PriceGroupSeed, *, started: bool, kwh: Decimal, charging_s: Decimal, idle_s: Decimal
) -> Decimal:
    if not started:
        return Decimal(0)
    total = Decimal(pg.startFeeMinor) + kwh * pg.kwhMinor
    minutes = max(Decimal(0), charging_s / _MIN - pg.minuteFeeAfterMinutes)
    total += minutes * pg.minuteFeeMinor
    idle = max(Decimal(0), idle_s / _MIN - pg.idleFeeAfterMinutes) * pg.idleFeeMinor
    if pg.idleFeeMaxMinor is not None:
        idle = min(idle, Decimal(pg.idleFeeMaxMinor))
    return total + idle


def gross(net: Decimal, pg: PriceGroupSeed) -> Decimal:
    return net * (1 + Decimal(pg.vatPercent) / 100)


def max_kwh_for_gross(
    pg: PriceGroupSeed, limit_gross_minor: Decimal, *, charging_s: Decimal, idle_s: Decimal
) -> Decimal:
    """The kWh at which the gross price reaches a limit, time-based fees held fixed."""
    net_limit = limit_gross_minor / (1 + Decimal(pg.vatPercent) / 100)
    fixed = net_minor(pg, started=True, kwh=Decimal(0), charging_s=charging_s, idle_s=idle_s)
    return max(Decimal(0), (net_limit - fixed) / pg.kwhMinor)


def round_minor(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def to_wire(amount_minor: Decimal, currency: str, unit: str) -> float:
    """The JSON number Monta reports: major units (default) or minor, rounded to a minor unit.

    JSON has no decimal type; float() of a value already rounded to the currency's
    decimals prints exactly (shortest repr), so no precision is invented here.
    """
    minor = round_minor(amount_minor)
    if unit == "minor":
        return float(minor)
    return float(minor_to_decimal(minor, currency_decimals(currency)))


def from_wire(value: float | int | str, currency: str, unit: str) -> Decimal:
    """A client-sent `priceLimit` to minor units."""
    d = Decimal(str(value))
    return d if unit == "minor" else d.scaleb(currency_decimals(currency))
