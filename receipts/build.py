"""A receipt from the session's facts and the operator's seller details. Pure."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.money import currency_decimals
from core.operators import Operator
from receipts.document import CardUsed, ChargePlace, Receipt, Seller, number_text
from receipts.lines import itemize, vat_totals
from receipts.time_zone import receipt_time_zone
from workflows.contracts import Buyer, ReceiptInput


def _local(at: datetime | None, zone: ZoneInfo) -> datetime | None:
    return at.astimezone(zone) if at is not None else None


def build_receipt(inp: ReceiptInput, operator: Operator, number: int) -> Receipt:
    tariff, snap, auth = inp.tariff, inp.snapshot, inp.authorization
    point = inp.charge_point
    zone_name = receipt_time_zone(point.country if point else None, operator.time_zone)
    zone = ZoneInfo(zone_name)
    lines = itemize(snap, tariff, inp.price.amount_minor, inp.time_scale, inp.idle, inp.idle_rules)
    per_kwh_net = Decimal(tariff.per_kwh_minor).scaleb(-currency_decimals(tariff.currency))
    released = inp.released.amount_minor if inp.released else 0
    return Receipt(
        number=number,
        number_text=number_text(operator.key, "R", number),
        session_id=inp.session_id,
        operator=operator.key,
        issued_at=inp.issued_at.astimezone(zone),
        seller=Seller(
            legal_name=operator.seller_name, address=operator.address, vat_id=operator.vat_id
        ),
        locale=operator.locale,
        time_zone=zone_name,
        charge_place=ChargePlace(
            charge_point_id=inp.charge_point_id,
            name=point.name if point else "",
            address=point.address if point else "",
        ),
        terminal_id=inp.terminal_id,
        short_code=inp.short_code,
        monta_charge_id=snap.charge_id,
        started_at=_local(snap.started_at, zone),
        stopped_at=_local(snap.stopped_at or snap.completed_at, zone),
        energy_kwh=snap.consumed_kwh,
        price_per_kwh_net=per_kwh_net,
        price_per_kwh_gross=per_kwh_net * (1 + tariff.vat_rate),
        currency=inp.price.currency,
        lines=lines,
        vat_totals=vat_totals(lines),
        total_minor=inp.price.amount_minor,
        authorized_minor=auth.amount.amount_minor,
        increments_minor=[i.amount_minor for i in inp.increments],
        captured_minor=inp.captured.amount_minor,
        released_minor=released,
        uncollected_minor=inp.uncollected.amount_minor if inp.uncollected else 0,
        card=CardUsed(brand=auth.card_brand, last4=auth.card_last4),
        idle_minutes=inp.idle.minutes if inp.idle else None,
        idle_fee_minor=inp.idle.fee_minor if inp.idle else None,
        idle_fee_by=inp.idle.source if inp.idle else None,
    )


def corrected_receipt(original: Receipt, buyer: Buyer, number: int, issued_at: datetime) -> Receipt:
    """The same receipt for a business buyer: its own number, referring to the first."""
    return original.model_copy(
        update={
            "number": number,
            "number_text": number_text(original.operator, "R", number),
            "issued_at": issued_at.astimezone(ZoneInfo(original.time_zone)),
            "buyer": buyer,
            "corrects": original.number_text,
        }
    )
