"""Monta objects -> chargepay contracts, at the boundary: Decimal major/minor units from
Monta become integer minor units, currency codes become upper-case ISO codes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from activities.monta.models import (
    Charge,
    ChargePoint,
    ChargePointState,
    Currency,
    MontaMoney,
    PriceGroup,
    Pricing,
    WalletTransaction,
)
from core.money import MoneyUnit, currency_decimals, decimal_to_minor, from_monta_amount
from workflows.contracts import (
    ChargePointInfo,
    ChargeSnapshot,
    Tariff,
    WalletTransactionSummary,
)


def parse_charge(payload: dict[str, Any]) -> Charge:
    """A Charge from a decoded JSON object (an API answer or a webhook entry's `payload`).
    Decode webhook bodies with `activities.monta.jsonio.loads` so prices stay Decimal."""
    return Charge.model_validate(payload)


def _decimals(currency: Currency | None) -> int:
    if currency is None:
        return 2
    if currency.decimals is not None:
        return currency.decimals
    return currency_decimals(currency.code)


def monta_amount_to_minor(
    value: Decimal | None, currency: Currency | None, unit: MoneyUnit
) -> int | None:
    if value is None:
        return None
    return from_monta_amount(value, _decimals(currency), unit)


def snapshot_from_charge(charge: Charge, money_unit: MoneyUnit) -> ChargeSnapshot:
    return ChargeSnapshot(
        charge_id=charge.id,
        state=charge.state,
        consumed_kwh=charge.consumed_kwh or Decimal("0"),
        price_minor=monta_amount_to_minor(charge.price, charge.currency, money_unit),
        currency=charge.currency.code if charge.currency else None,
        kwh_limit=charge.kwh_limit,
        updated_at=charge.updated_at,
        cable_plugged_in_at=charge.cable_plugged_in_at,
        started_at=charge.started_at,
        stopped_at=charge.stopped_at,
        completed_at=charge.completed_at,
        fully_charged_at=charge.fully_charged_at,
        released_at=charge.released_at,
        failed_at=charge.failed_at,
        timeout_at=charge.timeout_at,
        failure_reason=charge.failure_reason,
        stop_reason=charge.stop_reason,
        partner_external_id=charge.partner_external_id,
        charge_point_id=charge.charge_point_id,
    )


def charge_point_info(cp: ChargePoint) -> ChargePointInfo:
    # Monta's `state` is nullable: an unknown state does not block a start (Monta decides).
    available = cp.state is None or cp.state in ChargePointState.STARTABLE
    kind = (cp.type or "").lower()
    return ChargePointInfo(
        id=cp.id,
        name=cp.name or "",
        state=cp.state or "unknown",
        available=available,
        kind="ac" if kind == "ac" else "dc" if kind == "dc" else None,
        max_kw=cp.power_kw,
        price_group_id=cp.price_group_id,
        address=_address(cp),
        country=_country(cp),
    )


def _address(cp: ChargePoint) -> str:
    """One line for the receipt: Monta's label, else the address's parts."""
    loc = cp.location
    if loc is None:
        return ""
    if loc.address_label:
        return loc.address_label[:200]
    a = loc.address
    parts = [a.address1, " ".join(p for p in (a.zip, a.city) if p)] if a else []
    return ", ".join(p for p in parts if p)[:200]


def _country(cp: ChargePoint) -> str | None:
    a = cp.location.address if cp.location else None
    code = (a.country or "").upper() if a else ""
    return code if len(code) == 2 and code.isalpha() else None


def summary_from_transaction(
    tx: WalletTransaction, money_unit: MoneyUnit
) -> WalletTransactionSummary:
    amount, currency = (tx.from_amount, tx.from_currency)
    if amount is None:
        amount, currency = (tx.to_amount, tx.to_currency)
    return WalletTransactionSummary(
        id=tx.id,
        state=tx.state,
        group=tx.group,
        kind=tx.kind,
        amount_minor=monta_amount_to_minor(
            abs(amount) if amount is not None else None, currency, money_unit
        ),
        currency=currency.code if currency else None,
        reference_id=tx.reference_id,
    )


# ---------------------------------------------------------------- tariffs
class TariffUnreadable(ValueError):
    """The price group has no usable master price or currency."""


def _money_minor(money: MontaMoney | None, code: str) -> int:
    """Price-group Money is int64 minor units of `currency.decimals`; rescale to ISO decimals
    if Monta counts the currency's decimals differently."""
    if money is None:
        return 0
    iso = currency_decimals(code)
    given = (
        money.currency.decimals if money.currency and money.currency.decimals is not None else iso
    )
    if given == iso:
        return money.amount
    return decimal_to_minor(Decimal(money.amount).scaleb(-given), iso)


def _currency_of(group: PriceGroup, fallback: str | None) -> str:
    for pricing in [group.master_price, *(group.fees or []), *(group.tariffs or [])]:
        if pricing and pricing.price and pricing.price.currency:
            return pricing.price.currency.code
    if fallback:
        return fallback.upper()
    raise TariffUnreadable(f"price group {group.id} names no currency")


def _fees(group: PriceGroup, *types: str) -> list[Pricing]:
    return [f for f in group.fees or [] if f.type.lower() in types]


def tariff_from_price_group(
    group: PriceGroup, *, currency: str | None = None, vat_rate: Decimal | None = None
) -> Tariff:
    """The session tariff from a Monta price group: the master price is the net price per
    kWh (for spot/tariff pricing its `price` is the fallback), fees map to start, minute and
    idle fees. A one-time `charging` fee is folded into the start fee: reserving it up front
    keeps the budget safe. VAT is not part of Monta's v1 price group: pass the rate."""
    master = group.master_price
    if master is None or master.price is None:
        raise TariffUnreadable(f"price group {group.id} has no master price")
    code = _currency_of(group, currency)
    starting = _fees(group, "starting", "charging")
    minute = _fees(group, "minute", "min")
    idle = _fees(group, "idle")
    idle_caps = [_money_minor(f.fee_price_max, code) for f in idle if f.fee_price_max]
    return Tariff(
        price_group_id=group.id,
        currency=code,
        per_kwh_minor=_money_minor(master.price, code),
        start_fee_minor=sum(_money_minor(f.price, code) for f in starting),
        per_minute_minor=sum(_money_minor(f.price, code) for f in minute),
        per_minute_after_minutes=min((f.apply_after_minutes or 0 for f in minute), default=0),
        idle_per_minute_minor=sum(_money_minor(f.price, code) for f in idle),
        idle_after_minutes=min((f.apply_after_minutes or 0 for f in idle), default=0),
        idle_cap_minor=sum(idle_caps) if idle_caps and len(idle_caps) == len(idle) else 0,
        vat_rate=vat_rate if vat_rate is not None else group.vat_rate or Decimal("0"),
    )
