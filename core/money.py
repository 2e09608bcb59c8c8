"""Money: integer minor units + ISO-4217 currency inside; Decimal only at boundaries."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# ISO-4217 exponents for the currencies Monta operators use; default 2.
_DECIMALS: dict[str, int] = {"JPY": 0, "ISK": 0, "HUF": 2, "KWD": 3, "BHD": 3}

MoneyUnit = Literal["major", "minor"]


def currency_decimals(currency: str) -> int:
    return _DECIMALS.get(currency.upper(), 2)


class Money(BaseModel):
    """An amount in minor units (cents, øre) of one currency."""

    model_config = ConfigDict(frozen=True)

    amount_minor: int = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)

    @field_validator("currency")
    @classmethod
    def _upper(cls, v: str) -> str:
        if not v.isalpha():
            raise ValueError("currency must be an ISO-4217 code")
        return v.upper()

    def to_decimal(self) -> Decimal:
        return minor_to_decimal(self.amount_minor, currency_decimals(self.currency))

    def __str__(self) -> str:
        return f"{self.to_decimal():.{currency_decimals(self.currency)}f} {self.currency}"


def minor_to_decimal(amount_minor: int, decimals: int) -> Decimal:
    return Decimal(amount_minor).scaleb(-decimals)


def decimal_to_minor(amount: Decimal, decimals: int, rounding: str = ROUND_HALF_EVEN) -> int:
    """Major-unit Decimal -> integer minor units, rounded explicitly (never via float)."""
    return int(amount.scaleb(decimals).quantize(Decimal(1), rounding=rounding))


def from_monta_amount(value: Decimal | int | str, decimals: int, unit: MoneyUnit) -> int:
    """A Monta `price`/`priceLimit` value to minor units, honouring the money-unit setting."""
    d = Decimal(str(value))
    if unit == "minor":
        return int(d.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return decimal_to_minor(d, decimals)


def to_monta_amount(amount_minor: int, decimals: int, unit: MoneyUnit) -> Decimal:
    """Minor units to the Decimal Monta expects for `priceLimit` / `amount`."""
    if unit == "minor":
        return Decimal(amount_minor)
    return minor_to_decimal(amount_minor, decimals)
