"""The receipt as issued and stored (the ledger keeps this JSON) and as the API answers it.

Amounts are integer minor units of `currency`; prices per kWh or minute, which can be
fractions of a minor unit, are Decimal strings in major units. No card number: the brand
and last 4 digits only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from workflows.contracts import Buyer

LineKind = Literal["energy", "start_fee", "time_fee", "idle_fee", "adjustment"]
Unit = Literal["kWh", "min", "each"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReceiptLine(_Model):
    kind: LineKind
    quantity: Decimal  # kWh, minutes, or 1
    unit: Unit
    unit_price_net: Decimal  # major units, net of VAT
    net_minor: int  # may be negative only for an adjustment
    vat_rate: Decimal
    vat_minor: int
    gross_minor: int


class VatTotal(_Model):
    rate: Decimal
    net_minor: int
    vat_minor: int
    gross_minor: int


class Seller(_Model):
    legal_name: str
    address: str
    vat_id: str


class ChargePlace(_Model):
    charge_point_id: int
    name: str
    address: str


class CardUsed(_Model):
    brand: str | None
    last4: str | None


class Receipt(_Model):
    number: int
    number_text: str  # e.g. ALPHA-R-000042, what the page prints
    session_id: str
    operator: str
    issued_at: datetime
    seller: Seller
    locale: str
    time_zone: str
    charge_place: ChargePlace
    terminal_id: str
    short_code: str
    monta_charge_id: int
    started_at: datetime | None  # in `time_zone`, with its offset
    stopped_at: datetime | None
    energy_kwh: Decimal
    price_per_kwh_gross: Decimal  # the price shown before the start, VAT included
    price_per_kwh_net: Decimal
    currency: str
    lines: list[ReceiptLine]
    vat_totals: list[VatTotal]
    total_minor: int
    authorized_minor: int
    # What each increment added to the hold, in order (`authorized_minor` is the total).
    increments_minor: list[int] = []
    captured_minor: int
    released_minor: int
    uncollected_minor: int
    card: CardUsed
    # Idle time (docs/idle-fees.md): real minutes from energy stopping to the unplug (or
    # Monta's `completed`), the fee (inside `total_minor`) and who billed it.
    idle_minutes: Decimal | None = None
    idle_fee_minor: int | None = None
    idle_fee_by: Literal["monta", "chargepay"] | None = None
    # A corrected receipt: the buyer (a business) and the number of the receipt it replaces.
    buyer: Buyer | None = None
    corrects: str | None = None


class CreditNote(_Model):
    number: int
    number_text: str
    refund_key: str
    amount_minor: int
    currency: str
    reason: str
    created_at: datetime


def number_text(operator: str, series: Literal["R", "C"], number: int) -> str:
    return f"{operator.upper()}-{series}-{number:06d}"
