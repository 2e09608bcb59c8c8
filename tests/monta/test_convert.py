"""Monta objects -> contracts: currencies (case, decimals), money units, tolerant parsing,
price groups -> tariffs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from activities.monta import jsonio
from activities.monta.convert import (
    TariffUnreadable,
    charge_point_info,
    parse_charge,
    snapshot_from_charge,
    summary_from_transaction,
    tariff_from_price_group,
)
from activities.monta.models import (
    ChargePoint,
    PriceGroup,
    StartChargeResponse,
    WalletTransaction,
)
from tests.monta.fake_monta import charge_json


def _money(amount: int, code: str, decimals: int = 2) -> dict[str, Any]:
    return {
        "amount": amount,
        "currency": {"identifier": code, "decimals": decimals},
        "locale": "en",
    }


def _pricing(kind: str, amount: int, code: str = "EUR", **extra: Any) -> dict[str, Any]:
    return {"id": 1, "type": kind, "master": kind == "kwh", "price": _money(amount, code), **extra}


@pytest.mark.parametrize(
    ("identifier", "decimals", "price", "unit", "expected_minor"),
    [
        ("dkk", 2, "12.4", "major", 1240),
        ("DKK", 2, "12.4", "major", 1240),
        ("sek", 2, "0.005", "major", 0),  # half-even at the minor unit
        ("Sek", 2, "1240", "minor", 1240),
        ("jpy", 0, "1500", "major", 1500),
        ("eur", None, "7.99", "major", 799),  # decimals missing: ISO exponent
    ],
)
def test_snapshot_price_in_minor_units_and_upper_case_currency(
    identifier: str, decimals: int | None, price: str, unit: str, expected_minor: int
) -> None:
    body = charge_json(3, currency={"identifier": identifier, "decimals": decimals})
    body["price"] = Decimal(price)
    snap = snapshot_from_charge(parse_charge(body), unit)  # type: ignore[arg-type]
    assert snap.price_minor == expected_minor
    assert snap.currency == identifier.upper()


def test_charge_parsing_is_tolerant_and_keeps_decimals() -> None:
    text = jsonio.dumps(charge_json(9, state="brand-new-state", paymentMethod="team-has-funds"))
    raw = text.decode().replace('"consumedKwh":3.25', '"consumedKwh":0.1000000000000000055511')
    charge = parse_charge(jsonio.loads(raw))
    snap = snapshot_from_charge(charge, "major")
    assert snap.state == "brand-new-state"
    assert snap.consumed_kwh == Decimal("0.1000000000000000055511")
    assert snap.updated_at.microsecond == 123456  # nanosecond fraction accepted
    assert snap.partner_external_id == "session-alpha-t1-9"


def test_snapshot_of_a_fresh_charge_without_price_or_kwh() -> None:
    body = charge_json(4, state="starting", price=None, consumedKwh=None, currency=None)
    snap = snapshot_from_charge(parse_charge(body), "major")
    assert (snap.price_minor, snap.currency, snap.consumed_kwh) == (None, None, Decimal(0))


def test_both_start_response_shapes() -> None:
    bare = StartChargeResponse.model_validate(charge_json(1))
    wrapped = StartChargeResponse.model_validate({"charge": charge_json(2)})
    assert (bare.charge.id, wrapped.charge.id) == (1, 2)


@pytest.mark.parametrize(
    ("state", "available"),
    [("available", True), ("busy-charging", False), ("offline", False), (None, True)],
)
def test_charge_point_info(state: str | None, available: bool) -> None:
    cp = ChargePoint.model_validate(
        {
            "id": 101,
            "name": "Harbour 1",
            "state": state,
            "type": "AC",
            "maxKW": 11,
            "priceGroupId": 11,
        }
    )
    info = charge_point_info(cp)
    assert info.available is available
    assert (info.kind, info.max_kw, info.price_group_id) == ("ac", Decimal(11), 11)


def test_price_group_to_tariff_with_every_fee() -> None:
    group = PriceGroup.model_validate(
        {
            "id": 13,
            "name": "DC",
            "masterPrice": _pricing("kwh", 59),
            "fees": [
                _pricing("starting", 100),
                _pricing("minute", 20, applyAfterMinutes=5),
                _pricing("idle", 10, applyAfterMinutes=30, feePriceMax=_money(1000, "EUR")),
            ],
            "vatPercentage": 25,
        }
    )
    tariff = tariff_from_price_group(group)
    assert tariff.model_dump() == {
        "price_group_id": 13,
        "currency": "EUR",
        "start_fee_minor": 100,
        "per_kwh_minor": 59,
        "per_minute_minor": 20,
        "per_minute_after_minutes": 5,
        "idle_per_minute_minor": 10,
        "idle_after_minutes": 30,
        "idle_cap_minor": 1000,
        "vat_rate": Decimal("0.25"),
    }


def test_price_group_currency_case_and_decimal_rescale() -> None:
    # Monta counting 3 decimals for SEK: 4500 thousandths = 450 öre.
    group = PriceGroup.model_validate(
        {"id": 14, "masterPrice": {"type": "kwh", "price": _money(4500, "sek", decimals=3)}}
    )
    tariff = tariff_from_price_group(group, vat_rate=Decimal("0.25"))
    assert (tariff.currency, tariff.per_kwh_minor, tariff.vat_rate) == ("SEK", 450, Decimal("0.25"))
    assert tariff.start_fee_minor == 0 and tariff.idle_cap_minor == 0


def test_price_group_without_master_price_is_unreadable() -> None:
    with pytest.raises(TariffUnreadable):
        tariff_from_price_group(PriceGroup.model_validate({"id": 1, "fees": []}))


def test_wallet_transaction_summary() -> None:
    tx = WalletTransaction.model_validate(
        {
            "id": 5,
            "state": "complete",
            "group": "withdraw",
            "kind": "charge",
            "fromAmount": Decimal("-13.77"),
            "fromCurrency": {"identifier": "dkk", "decimals": 2},
            "referenceId": "77",
            "referenceType": "CHARGE",
        }
    )
    summary = summary_from_transaction(tx, "major")
    assert (summary.amount_minor, summary.currency, summary.reference_id) == (1377, "DKK", "77")
