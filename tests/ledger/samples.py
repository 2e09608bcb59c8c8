"""A completed session's receipt facts and an operator, for ledger and receipt tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pydantic import SecretStr

from core.money import Money
from core.operators import Operator
from workflows import contracts as c

T0 = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def operator(key: str = "alpha") -> Operator:
    return Operator(
        key=key,
        name="Alpha Charging",
        legal_name="Alpha Charging A/S",
        address="Havnegade 1, 1058 København K, Denmark",
        vat_id="DK12345678",
        locale="da_DK",
        time_zone="Europe/Copenhagen",
        monta_client_id="x",
        monta_client_secret=SecretStr("s"),
        default_paying_team_id=1,
    )


def receipt_input(session_id: str = "session-alpha-T1-tx1", **kw: object) -> c.ReceiptInput:
    tariff = c.Tariff(
        currency="EUR", start_fee_minor=100, per_kwh_minor=45, vat_rate=Decimal("0.25")
    )
    snap = c.ChargeSnapshot(
        charge_id=9001,
        state="completed",
        consumed_kwh=Decimal("10.5"),
        price_minor=716,
        currency="EUR",
        updated_at=T0 + timedelta(hours=1),
        started_at=T0,
        stopped_at=T0 + timedelta(minutes=55),
        completed_at=T0 + timedelta(hours=1),
    )
    auth = c.Authorization(
        authorization_id="auth-1",
        amount=Money(amount_minor=1500, currency="EUR"),
        expires_at=T0 + timedelta(days=7),
        card_brand="VISA",
        card_last4="4242",
    )
    fields: dict[str, object] = {
        "session_id": session_id,
        "operator": session_id.split("-")[1],
        "terminal_id": "T1",
        "short_code": "TX1",
        "charge_point_id": 101,
        "charge_point": c.ChargePointInfo(
            id=101,
            name="Harbour 1",
            state="available",
            available=True,
            address="Harbour 1, Copenhagen",
            country="DK",
        ),
        "tariff": tariff,
        "authorization": auth,
        "snapshot": snap,
        "price": Money(amount_minor=716, currency="EUR"),
        "captured": Money(amount_minor=716, currency="EUR"),
        "released": Money(amount_minor=784, currency="EUR"),
        "issued_at": T0 + timedelta(hours=1, seconds=5),
    }
    fields.update(kw)
    return c.ReceiptInput.model_validate(fields)
