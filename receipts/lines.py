"""A receipt's lines: energy (kWh x unit price), start fee, time fee and idle fee by the
tariff frozen before the start, each with its VAT; they add up to the price charged.

The idle fee line is Monta's (its price group's fee, inside Monta's price) or chargepay's
(the operator's fee, added to Monta's price): exactly one, never both (docs/idle-fees.md).

Monta's final price is what the driver pays: when the tariff's arithmetic differs from it
(Monta rounds per meter reading, idle fees are only known to Monta), an `adjustment` line
carries the difference, so the lines always add up to the total. Pure: no I/O, no floats.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from core.clock import Clock
from core.money import currency_decimals, minor_to_decimal
from receipts.document import LineKind, ReceiptLine, Unit, VatTotal
from workflows.contracts import ChargeSnapshot, Tariff
from workflows.contracts.idle import IdleFee, IdleRules
from workflows.idle_fees import idle_minutes as idle_time

_ONE = Decimal(1)


def _round(value: Decimal) -> int:
    return int(value.quantize(_ONE, rounding=ROUND_HALF_EVEN))


def minutes_between(snap: ChargeSnapshot, start: str, end: str, time_scale: float) -> Decimal:
    """Real minutes between two of the charge's instants (0 when one is unknown)."""
    a, b = getattr(snap, start), getattr(snap, end)
    if a is None or b is None or b <= a:
        return Decimal(0)
    real_s = Clock(time_scale).real_seconds((b - a).total_seconds())
    return (Decimal(str(real_s)) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def line(
    kind: LineKind, quantity: Decimal, unit_minor: Decimal, tariff: Tariff, unit: Unit = "each"
) -> ReceiptLine:
    decimals = currency_decimals(tariff.currency)
    net = quantity * unit_minor
    net_minor = _round(net)
    gross_minor = _round(net * (1 + tariff.vat_rate))
    return ReceiptLine(
        kind=kind,
        quantity=quantity,
        unit=unit,
        unit_price_net=unit_minor.scaleb(-decimals),
        net_minor=net_minor,
        vat_rate=tariff.vat_rate,
        vat_minor=gross_minor - net_minor,
        gross_minor=gross_minor,
    )


def _adjustment(diff_minor: int, tariff: Tariff) -> ReceiptLine:
    net_minor = _round(Decimal(diff_minor) / (1 + tariff.vat_rate))
    return ReceiptLine(
        kind="adjustment",
        quantity=_ONE,
        unit="each",
        unit_price_net=minor_to_decimal(net_minor, currency_decimals(tariff.currency)),
        net_minor=net_minor,
        vat_rate=tariff.vat_rate,
        vat_minor=diff_minor - net_minor,
        gross_minor=diff_minor,
    )


def _added_idle_line(fee: IdleFee, rules: IdleRules, tariff: Tariff) -> ReceiptLine:
    """chargepay's idle fee: billable minutes at the operator's rate, its gross exactly the
    fee captured (a capped fee keeps its minutes and shows the capped amount)."""
    net_minor = _round(Decimal(fee.fee_minor) / (1 + tariff.vat_rate))
    return ReceiptLine(
        kind="idle_fee",
        quantity=fee.billable_minutes,
        unit="min",
        unit_price_net=Decimal(rules.per_minute_minor).scaleb(-currency_decimals(tariff.currency)),
        net_minor=net_minor,
        vat_rate=tariff.vat_rate,
        vat_minor=fee.fee_minor - net_minor,
        gross_minor=fee.fee_minor,
    )


def itemize(
    snap: ChargeSnapshot,
    tariff: Tariff,
    total_minor: int,
    time_scale: float,
    idle: IdleFee | None = None,
    idle_rules: IdleRules | None = None,
) -> list[ReceiptLine]:
    """The receipt's lines; their gross amounts add up to `total_minor` exactly. An idle
    fee chargepay added is its own line; the others add up to Monta's part of the total."""
    added = None
    if idle is not None and idle_rules is not None and idle.source == "chargepay":
        if idle.fee_minor:
            added = _added_idle_line(idle, idle_rules, tariff)
            total_minor -= idle.fee_minor
    lines = [line("energy", snap.consumed_kwh, Decimal(tariff.per_kwh_minor), tariff, "kWh")]
    if tariff.start_fee_minor:
        lines.append(line("start_fee", _ONE, Decimal(tariff.start_fee_minor), tariff))
    charging = minutes_between(snap, "started_at", "stopped_at", time_scale)
    fee_minutes = max(Decimal(0), charging - tariff.per_minute_after_minutes)
    if tariff.per_minute_minor and fee_minutes:
        unit = Decimal(tariff.per_minute_minor)
        lines.append(line("time_fee", fee_minutes, unit, tariff, "min"))
    idle_minutes_total = idle_time(snap, time_scale)
    idle_minutes = max(Decimal(0), idle_minutes_total - tariff.idle_after_minutes)
    if tariff.idle_per_minute_minor and idle_minutes:
        unit = Decimal(tariff.idle_per_minute_minor)
        idle_line = line("idle_fee", idle_minutes, unit, tariff, "min")
        if tariff.idle_cap_minor and idle_line.net_minor > tariff.idle_cap_minor:
            idle_line = line("idle_fee", _ONE, Decimal(tariff.idle_cap_minor), tariff)
        lines.append(idle_line)
    diff = total_minor - sum(item.gross_minor for item in lines)
    if diff:
        lines.append(_adjustment(diff, tariff))
    if added is not None:
        lines.append(added)
    return lines


def vat_totals(lines: list[ReceiptLine]) -> list[VatTotal]:
    """One total per VAT rate, in the order the rates first appear."""
    totals: dict[Decimal, VatTotal] = {}
    for item in lines:
        t = totals.get(item.vat_rate)
        totals[item.vat_rate] = VatTotal(
            rate=item.vat_rate,
            net_minor=(t.net_minor if t else 0) + item.net_minor,
            vat_minor=(t.vat_minor if t else 0) + item.vat_minor,
            gross_minor=(t.gross_minor if t else 0) + item.gross_minor,
        )
    return list(totals.values())
