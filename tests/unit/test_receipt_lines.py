"""Receipt lines and the receipt built from a session's facts (pure)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from core.money import Money
from receipts.build import build_receipt
from receipts.lines import itemize, vat_totals
from receipts.time_zone import receipt_time_zone
from tests.ledger.samples import T0, operator, receipt_input
from workflows import contracts as c


def _snap(**kw: object) -> c.ChargeSnapshot:
    base: dict[str, object] = {
        "charge_id": 1,
        "state": "completed",
        "consumed_kwh": Decimal("10"),
        "updated_at": T0,
        "started_at": T0,
        "stopped_at": T0 + timedelta(minutes=65),
        "completed_at": T0 + timedelta(minutes=125),
    }
    return c.ChargeSnapshot.model_validate({**base, **kw})


def test_every_fee_is_a_line_with_its_vat_and_they_add_up_to_the_total() -> None:
    tariff = c.Tariff(
        currency="EUR",
        start_fee_minor=100,
        per_kwh_minor=45,
        per_minute_minor=10,
        per_minute_after_minutes=5,
        idle_per_minute_minor=20,
        idle_after_minutes=30,
        vat_rate=Decimal("0.25"),
    )
    # net: 450 energy + 100 start + 600 time (60 min) + 600 idle (30 min) = 1750;
    # gross 2187 (562.5 rounds half-even to 562)
    lines = itemize(_snap(), tariff, 2187, time_scale=1.0)
    assert [(i.kind, i.quantity, i.net_minor, i.vat_minor, i.gross_minor) for i in lines] == [
        ("energy", Decimal("10"), 450, 112, 562),
        ("start_fee", Decimal(1), 100, 25, 125),
        ("time_fee", Decimal("60.00"), 600, 150, 750),
        ("idle_fee", Decimal("30.00"), 600, 150, 750),
    ]
    assert lines[0].unit == "kWh" and lines[0].unit_price_net == Decimal("0.45")
    assert sum(i.gross_minor for i in lines) == 2187
    assert vat_totals(lines)[0].vat_minor == 437


def test_a_price_monta_rounded_differently_gets_an_adjustment_line() -> None:
    tariff = c.Tariff(currency="EUR", per_kwh_minor=45, vat_rate=Decimal("0.25"))
    lines = itemize(_snap(), tariff, 560, time_scale=1.0)  # by the tariff: 562
    assert lines[-1].kind == "adjustment" and lines[-1].gross_minor == -2
    assert sum(i.gross_minor for i in lines) == 560


def test_the_idle_fee_stops_at_its_cap() -> None:
    tariff = c.Tariff(
        currency="EUR",
        per_kwh_minor=45,
        idle_per_minute_minor=20,
        idle_cap_minor=300,
        vat_rate=Decimal("0.25"),
    )
    idle = next(i for i in itemize(_snap(), tariff, 0, 1.0) if i.kind == "idle_fee")
    assert (idle.net_minor, idle.unit) == (300, "each")


def test_the_receipt_carries_seller_card_place_and_local_times() -> None:
    receipt = build_receipt(receipt_input(), operator(), 42)
    assert receipt.number_text == "ALPHA-R-000042"
    assert receipt.seller.vat_id == "DK12345678"
    assert (receipt.card.brand, receipt.card.last4) == ("VISA", "4242")
    assert receipt.charge_place.address == "Harbour 1, Copenhagen"
    assert receipt.time_zone == "Europe/Copenhagen"
    assert receipt.started_at is not None and receipt.started_at.hour == 12  # 10:00 UTC, CEST
    assert receipt.price_per_kwh_gross == Decimal("0.5625")
    assert (receipt.total_minor, receipt.captured_minor, receipt.released_minor) == (716, 716, 784)
    assert sum(i.gross_minor for i in receipt.lines) == 716
    assert "4242" not in receipt.model_dump_json().replace('"last4":"4242"', "")


def test_the_uncollected_part_is_shown() -> None:
    inp = receipt_input(
        price=Money(amount_minor=1600, currency="EUR"),
        captured=Money(amount_minor=1500, currency="EUR"),
        uncollected=Money(amount_minor=100, currency="EUR"),
    )
    receipt = build_receipt(inp, operator(), 1)
    assert (receipt.total_minor, receipt.uncollected_minor) == (1600, 100)


def test_the_time_zone_is_the_charge_points_country_else_the_operators() -> None:
    assert receipt_time_zone("de", "UTC") == "Europe/Berlin"
    assert receipt_time_zone("US", "America/New_York") == "America/New_York"
    assert receipt_time_zone(None, "Europe/Oslo") == "Europe/Oslo"


def test_the_holds_increments_are_shown_in_order() -> None:
    eur = [Money(amount_minor=m, currency="EUR") for m in (2500, 1500)]
    plain = build_receipt(receipt_input(), operator(), 1)
    assert plain.increments_minor == []
    receipt = build_receipt(receipt_input().model_copy(update={"increments": eur}), operator(), 1)
    assert receipt.increments_minor == [2500, 1500]
