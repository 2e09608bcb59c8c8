"""The wallet transaction a completed charge creates: paying team -> operator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from emulators.monta import serialize
from emulators.monta.model import Charge
from emulators.monta.pricing import round_minor, to_wire
from emulators.monta.seed import Seed
from emulators.monta.timefmt import iso


def charge_transaction(
    *, tx_id: int, seed: Seed, charge: Charge, vat_percent: int, unit: str, t: float
) -> dict[str, Any]:
    op = seed.operator(charge.operator)
    team = seed.team(charge.paying_team_id)
    gross_minor = Decimal(round_minor(charge.seen_price_minor))
    net_minor = Decimal(round_minor(gross_minor / (1 + Decimal(vat_percent) / 100)))
    vat_minor = gross_minor - net_minor

    def amount(v: Decimal) -> float:
        return to_wire(v, charge.currency, unit)

    cur = serialize.currency(charge.currency)
    return {
        "id": tx_id,
        "fromAmount": amount(gross_minor),
        "fromSubAmount": amount(net_minor),
        "fromVatAmount": amount(vat_minor),
        "fromCurrency": cur,
        "fromType": "team",
        "from": {"id": team.id, "publicName": team.publicName, "operatorId": op.id}
        if team
        else None,
        "fromWalletId": 70_000 + charge.paying_team_id,
        "toAmount": amount(gross_minor),
        "toSubAmount": amount(net_minor),
        "toVatAmount": amount(vat_minor),
        "toCurrency": cur,
        "toType": "operator",
        "to": serialize.operator(op),
        "toWalletId": 80_000 + op.id,
        "exchangeRate": 1.0,
        "createdAt": iso(t),
        "updatedAt": iso(t),
        "completedAt": iso(t),
        "referenceId": str(charge.id),
        "referenceType": "CHARGE",
        "group": "charge",
        "kind": "charge",
        "vatPercentage": float(vat_percent),
        "state": "complete",
        "note": None,
        "metadata": {"type": "charge-metadata", "id": charge.id, "kwh": float(charge.seen_kwh)},
        "partnerExternalId": None,
        "partnerCustomPayload": None,
        # internal (stripped before serving): who may see it
        "_operator": charge.operator,
        "_teamId": charge.paying_team_id,
        "_created": t,
    }
