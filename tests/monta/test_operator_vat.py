"""VAT comes from the operator's settings, not from Monta: Monta's v1 price group carries no
rate, so a tariff read from real Monta must still be grossed up by the operator's VAT for
the budget, the quote and the settlement (defect 6 of [2 of 7])."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import SecretStr

from activities.monta.factory import build_monta_activities
from activities.monta.models import PriceGroup
from core.operators import Operator
from settings import Settings

# A price group as real Monta sends it: no vatPercentage.
_PRICE = {"amount": 55, "currency": {"identifier": "EUR", "decimals": 2}, "locale": "en"}
MONTA_GROUP = {
    "id": 7,
    "name": "AC",
    "masterPrice": {"id": 1, "type": "kwh", "master": True, "price": _PRICE},
    "fees": [],
}


def _operator(**kw: object) -> Operator:
    return Operator(
        key="alpha",
        name="Alpha",
        monta_client_id="alpha-client",
        monta_client_secret=SecretStr("s"),
        default_paying_team_id=1001,
        monta_base_url="http://127.0.0.1:1",
        **kw,
    )


async def _tariff_vat(operator: Operator, settings: Settings) -> Decimal:
    acts = build_monta_activities(operator, settings)

    async def read(group_id: int) -> PriceGroup:
        return PriceGroup.model_validate({**MONTA_GROUP, "id": group_id})

    acts.tariffs.client.get_price_group = read  # type: ignore[method-assign,assignment]
    tariff = await acts.tariffs._group(7)
    await acts.client.aclose()
    return tariff.vat_rate


async def test_the_operators_vat_rate_grosses_up_a_tariff_monta_sends_without_one() -> None:
    assert await _tariff_vat(_operator(vat_rate=Decimal("0.19")), Settings()) == Decimal("0.19")


async def test_without_an_operator_rate_the_validated_default_applies() -> None:
    settings = Settings(default_vat_rate=Decimal("0.25"))
    assert await _tariff_vat(_operator(), settings) == Decimal("0.25")


def test_a_vat_rate_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError):
        _operator(vat_rate=Decimal("25"))
    with pytest.raises(ValueError):
        Settings(default_vat_rate=Decimal("-0.1"))
