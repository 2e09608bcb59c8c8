"""Our money (integer minor units of core/money.py) <-> Stripe's integer `amount`, per
Stripe's currency table (https://docs.stripe.com/currencies). Pure logic.

Stripe counts most currencies in two decimals, the zero-decimal ones in whole units and
the three-decimal ones in thousandths whose last digit must be 0. Its special cases:
ISK and UGX became zero-decimal but stay two-decimal in the API, so their amounts are
multiples of 100; HUF and TWD are zero-decimal for payouts only and charge in two
decimals, so they need nothing here. Our exponent (core/money.py) may differ from
Stripe's, so both directions rescale, and an amount that does not land exactly on
Stripe's grid (or ours) is refused with AmountNotRepresentable, never rounded: rounding
would move money nobody priced.
"""

from __future__ import annotations

from activities.payments import errors as e
from core.money import Money, currency_decimals

ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
# Stripe's table also lists UGX as zero-decimal; its special case (two decimals, always 00)
# is the one that says what `amount` means, so UGX is handled like ISK.
WHOLE_UNITS_IN_TWO_DECIMALS = frozenset({"ISK", "UGX"})


def stripe_decimals(currency: str) -> int:
    """The decimals of Stripe's `amount` for this currency."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def stripe_step(currency: str) -> int:
    """Stripe's `amount` must be a multiple of this."""
    code = currency.upper()
    if code in WHOLE_UNITS_IN_TWO_DECIMALS:
        return 100
    if code in THREE_DECIMAL:
        return 10
    return 1


def _rescale(value: int, from_decimals: int, to_decimals: int) -> int | None:
    """`value` in 10^-from units as 10^-to units, or None where that is not exact."""
    if to_decimals >= from_decimals:
        return value * 10 ** (to_decimals - from_decimals)
    whole, rest = divmod(value, 10 ** (from_decimals - to_decimals))
    return whole if rest == 0 else None


def to_stripe_amount(money: Money) -> int:
    """Our minor units -> Stripe's `amount`, or AmountNotRepresentable."""
    step = stripe_step(money.currency)
    amount = _rescale(
        money.amount_minor, currency_decimals(money.currency), stripe_decimals(money.currency)
    )
    if amount is None or amount % step:
        raise e.AmountNotRepresentable(
            f"{money} cannot be sent to Stripe exactly: its {money.currency} amounts have"
            f" {stripe_decimals(money.currency)} decimals"
            + (f" and are multiples of {step}" if step > 1 else "")
        )
    return amount


def from_stripe_amount(amount: int, currency: str) -> Money:
    """Stripe's `amount` -> our minor units, or AmountNotRepresentable where our exponent
    (core/money.py) cannot hold it exactly."""
    code = currency.upper()
    minor = _rescale(amount, stripe_decimals(code), currency_decimals(code))
    if minor is None:
        raise e.AmountNotRepresentable(
            f"Stripe's {code} amount {amount} has no exact value in our minor units"
            f" ({currency_decimals(code)} decimals)"
        )
    return Money(amount_minor=minor, currency=code)
