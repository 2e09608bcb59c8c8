"""How much to capture when a charge ends: the amount, what is left uncollected, any flag.

Monta's `price` (gross, converted to minor units by the activity) is the truth the driver's
receipt shows, but it is checked against the frozen tariff: if the two disagree beyond a
tolerance (wrong money unit, wrong price group), the smaller is captured and the session is
flagged for an operator. The card is never captured above what was authorized; the rest of
the price is recorded as `uncollected`. Nothing delivered → void.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from pydantic import BaseModel, ConfigDict

from core.clock import Clock
from core.money import Money
from workflows.budget import gross
from workflows.contracts import ChargeSnapshot, SessionConfig, Tariff
from workflows.idle_fees import idle_minutes


class Settlement(BaseModel):
    model_config = ConfigDict(frozen=True)

    capture: Money  # 0 → void the hold
    uncollected: Money
    price: Money | None  # the price the session settled on (before the authorized bound)
    attention: str | None = None

    @property
    def void(self) -> bool:
        return self.capture.amount_minor == 0


def _minutes(snap: ChargeSnapshot, start: str, end: str, config: SessionConfig) -> Decimal:
    """Real minutes between two of the charge's instants; an end Monta has not reported
    yet (a charge still running or winding down) is the snapshot's own time."""
    a, b = getattr(snap, start), getattr(snap, end) or snap.updated_at
    if a is None or b is None or b <= a:
        return Decimal(0)
    real_s = Clock(config.time_scale).real_seconds((b - a).total_seconds())
    return Decimal(str(real_s)) / 60


def tariff_price_range(
    snap: ChargeSnapshot, tariff: Tariff, config: SessionConfig
) -> tuple[int, int]:
    """(low, high) gross price by the tariff: idle fees are only known up to their cap."""
    charging = _minutes(snap, "started_at", "stopped_at", config)
    fee_minutes = max(Decimal(0), charging - tariff.per_minute_after_minutes)
    net = (
        Decimal(tariff.start_fee_minor)
        + snap.consumed_kwh * tariff.per_kwh_minor
        + fee_minutes * tariff.per_minute_minor
    )
    # Monta's own idle fee only (the operator's is chargepay's, added after this check):
    # from energy stopping to the unplug, or to `completed` (workflows/idle_fees.py).
    idle_time = idle_minutes(snap, config.time_scale, until=snap.updated_at)
    idle = max(Decimal(0), idle_time - tariff.idle_after_minutes) * tariff.idle_per_minute_minor
    if tariff.idle_cap_minor:
        idle = min(idle, Decimal(tariff.idle_cap_minor))
    low = gross(net, tariff.vat_rate).to_integral_value(ROUND_FLOOR)
    high = gross(net + idle, tariff.vat_rate).to_integral_value(ROUND_CEILING)
    return int(low), int(high)


def _bounded(amount: int, authorized: Money, attention: str | None) -> Settlement:
    cur = authorized.currency
    capture = min(max(amount, 0), authorized.amount_minor)
    return Settlement(
        capture=Money(amount_minor=capture, currency=cur),
        uncollected=Money(amount_minor=max(amount, 0) - capture, currency=cur),
        price=Money(amount_minor=max(amount, 0), currency=cur),
        attention=attention,
    )


def nothing(authorized: Money) -> Settlement:
    zero = Money(amount_minor=0, currency=authorized.currency)
    return Settlement(capture=zero, uncollected=zero, price=None)


def _checked_price(
    snap: ChargeSnapshot, tariff: Tariff, authorized: Money, config: SessionConfig
) -> tuple[int, str | None]:
    """The price to settle on and why it was doubted, if it was: Monta's price when it is
    in the hold's currency and agrees with kWh x tariff (every fee the tariff has), else
    the smaller of the two, flagged. Every settle path goes through here."""
    low, high = tariff_price_range(snap, tariff, config)
    if snap.price_minor is None:
        return low, "price_missing: captured the tariff price"
    if snap.currency is not None and snap.currency.upper() != authorized.currency:
        return low, f"price_currency_mismatch: {snap.currency}"
    price = snap.price_minor
    ref = low if price < low else high
    tolerance = max(
        Decimal(config.price_tolerance_minor), config.price_tolerance_ratio * Decimal(ref)
    )
    if abs(Decimal(price - ref)) > tolerance and not low <= price <= high:
        return min(price, low), f"price_mismatch: monta {price} vs tariff {low}..{high} minor units"
    return price, None


def settle_completed(
    snap: ChargeSnapshot, tariff: Tariff, authorized: Money, config: SessionConfig
) -> Settlement:
    """Settlement for a charge Monta reports `completed`."""
    if snap.consumed_kwh <= 0:
        return nothing(authorized)
    price, doubt = _checked_price(snap, tariff, authorized, config)
    return _bounded(price, authorized, doubt)


def settle_last_known(
    snap: ChargeSnapshot | None,
    tariff: Tariff,
    authorized: Money,
    config: SessionConfig,
    reason: str,
) -> Settlement:
    """Capture before the hold expires without `completed`: the last known price, under
    the same checks as a completed one, flagged with `reason`."""
    if snap is None or snap.consumed_kwh <= 0:
        return nothing(authorized).model_copy(update={"attention": reason})
    price, doubt = _checked_price(snap, tariff, authorized, config)
    return _bounded(price, authorized, f"{reason}; {doubt}" if doubt else reason)
