"""Entities to the JSON shapes of Monta's spec (Charge, ChargePoint, PriceGroup, ...)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.money import currency_decimals
from emulators.monta.model import Charge
from emulators.monta.pricing import to_wire
from emulators.monta.seed import ChargePointSeed, OperatorSeed, PriceGroupSeed, Seed
from emulators.monta.timefmt import iso

_CURRENCY_NAMES = {"EUR": "Euro", "SEK": "Swedish krona", "DKK": "Danish krone"}
SEED_CREATED_AT = 1_704_067_200.0  # 2024-01-01T00:00:00Z: when the seeded world "began"


def currency(code: str) -> dict[str, Any]:
    # Monta's Charge example uses a lower-case identifier ("dkk").
    return {
        "identifier": code.lower(),
        "name": _CURRENCY_NAMES.get(code.upper(), code.upper()),
        "decimals": currency_decimals(code),
    }


def operator(op: OperatorSeed) -> dict[str, Any]:
    return {
        "id": op.id,
        "name": op.name,
        "identifier": op.identifier,
        "partnerId": None,
        "vatNumber": op.vatNumber,
    }


def location(point: ChargePointSeed) -> dict[str, Any]:
    return {
        "coordinates": {"latitude": 55.68 + point.id / 10_000, "longitude": 12.57},
        "addressLabel": f"{point.name}, Copenhagen",
        "address": {"address1": point.name, "zip": "2100", "city": "Copenhagen", "country": "DK"},
    }


def evse_id(point: ChargePointSeed) -> str:
    return f"DK*MON*E{point.id}"


def charge_point(
    seed: Seed, point: ChargePointSeed, state: str, plugged: bool, updated_at: float
) -> dict[str, Any]:
    connectors = [{"id": 1, "identifier": "type-2", "name": "Type 2"}]
    if point.type == "dc":
        connectors = [{"id": 2, "identifier": "ccs", "name": "CCS"}]
    return {
        "id": point.id,
        "teamId": point.teamId,
        "partnerExternalId": None,
        "partnerCustomPayload": None,
        "siteId": point.siteId,
        "operator": operator(seed.operator(point.operator)),
        "createdAt": iso(SEED_CREATED_AT),
        "updatedAt": iso(updated_at),
        "deletedAt": None,
        "activeAt": iso(SEED_CREATED_AT),
        "serialNumber": f"EMU-{point.id:06d}",
        "name": point.name,
        "visibility": "public",
        "maxKw": point.maxKw,
        "type": point.type,
        "note": None,
        "state": state,
        "location": location(point),
        "connectors": connectors,
        "deeplinks": {
            "app": f"https://app.monta.app/charge-points/{point.id}",
            "web": f"https://monta.com/charge-points/{point.id}",
        },
        "lastMeterReadingKwh": None,
        "cablePluggedIn": plugged,
        "brandName": "Emulated",
        "modelName": f"{point.type.upper()} {point.maxKw:g} kW",
        "integrationType": "ocpp",
        "evseId": evse_id(point),
        "priceGroupId": point.priceGroupId,
        "isActive": True,
        "reservable": False,
        "reservationTime": None,
        "roaming": False,
        "lastConnectedAt": iso(SEED_CREATED_AT),
        "disconnectedAt": iso(SEED_CREATED_AT) if state == "disconnected" else None,
        "occupied": state.startswith("busy"),
        "protocolData": {"ocpp": None},
        "showOnMap": True,
    }


def _money(amount: int, code: str) -> dict[str, Any]:
    return {
        "amount": amount,
        "currency": {
            "identifier": code.upper(),
            "name": _CURRENCY_NAMES.get(code, code),
            "decimals": currency_decimals(code),
        },
        "locale": "en",
    }


def _pricing(
    pid: int,
    kind: str,
    amount: int,
    code: str,
    *,
    master: bool = False,
    description: str | None = None,
    after: int | None = None,
    cap: int | None = None,
) -> dict[str, Any]:
    return {
        "id": pid,
        "description": description,
        "type": kind,
        "master": master,
        "dynamicPricing": False,
        "endAtFullyCharged": False,
        "vat": True,  # VAT is added on top of these net prices
        "percentage": None,
        "tariffId": None,
        "updatedAt": iso(SEED_CREATED_AT),
        "applyAfterMinutes": after,
        "price": _money(amount, code),
        "priceMin": None,
        "priceMax": None,
        "feePriceMax": _money(cap, code) if cap is not None else None,
        "additional": None,
    }


def price_group(pg: PriceGroupSeed, point_ids: list[int]) -> dict[str, Any]:
    base = pg.id * 10
    fees = []
    if pg.startFeeMinor:
        fees.append(
            _pricing(base + 1, "starting", pg.startFeeMinor, pg.currency, description="Start fee")
        )
    if pg.minuteFeeMinor:
        fees.append(
            _pricing(
                base + 2,
                "minute",
                pg.minuteFeeMinor,
                pg.currency,
                description="Minute fee",
                after=pg.minuteFeeAfterMinutes,
            )
        )
    if pg.idleFeeMinor:
        fees.append(
            _pricing(
                base + 3,
                "idle",
                pg.idleFeeMinor,
                pg.currency,
                description="Idle fee",
                after=pg.idleFeeAfterMinutes,
                cap=pg.idleFeeMaxMinor,
            )
        )
    return {
        "id": pg.id,
        "teamId": pg.teamId,
        "name": pg.name,
        "default": False,
        "type": "public",
        "masterPrice": _pricing(base, "kwh", pg.kwhMinor, pg.currency, master=True),
        "tariffs": [],
        "fees": fees,
        "teamMemberCount": 0,
        "chargePointCount": len(point_ids),
        "appliedTo": {"chargePoints": point_ids, "sites": [], "teamMembers": []},
        "createdAt": iso(SEED_CREATED_AT),
        "updatedAt": None,
        # Not in Monta's PriceGroup schema (which carries no rate): the VAT % the emulator
        # adds on top of the net prices above. Extra properties are allowed by the spec.
        "vatPercentage": pg.vatPercent,
    }


def _kwh(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value), 4)


def charge(
    seed: Seed, c: Charge, point: ChargePointSeed, unit: str, time_scale: float
) -> dict[str, Any]:
    op = seed.operator(c.operator)
    team = seed.team(c.paying_team_id)
    price = to_wire(c.seen_price_minor, c.currency, unit)
    avg = None
    if c.seen_kwh > 0:
        avg = round(price / float(c.seen_kwh), 4)
    hourly = [
        {"time": iso((c.started_at or c.created_at) + h * 3600 / time_scale), "value": _kwh(v)}
        for h, v in sorted(c.kwh_per_hour.items())
    ]
    return {
        "id": c.id,
        "humanReadableId": f"EMU-{c.id}",
        "user": {"id": 900_000 + c.paying_team_id, "displayName": "Payment terminal"},
        "teamMember": None,
        "type": "operator",
        "chargePointId": c.charge_point_id,
        "publicChargePoint": {
            "id": point.id,
            "evseId": evse_id(point),
            "name": point.name,
            "chargePointOperatorId": op.id,
            "chargePointOperatorName": op.name,
            "location": location(point),
            "maxKw": point.maxKw,
            "brandName": "Emulated",
            "modelName": f"{point.type.upper()} {point.maxKw:g} kW",
            "deletedAt": None,
        },
        "sponsoredChargePointId": None,
        "priceGroupId": c.price_group_id,
        "costPriceGroupId": None,
        "memberCostPriceGroupId": None,
        "siteId": point.siteId,
        "promotionCodeId": None,
        "createdAt": iso(c.created_at),
        "updatedAt": iso(c.updated_at),
        "cablePluggedInAt": iso(c.cable_plugged_in_at),
        "startedAt": iso(c.started_at),
        "stoppedAt": iso(c.stopped_at),
        "fullyChargedAt": iso(c.fully_charged_at),
        "releasedAt": iso(c.released_at),
        "failedAt": iso(c.failed_at),
        "timeoutAt": iso(c.timeout_at),
        "completedAt": iso(c.completed_at),
        "state": c.state,
        "startSource": "server-api",
        "consumedKwh": _kwh(c.seen_kwh),
        "kwhLimit": _kwh(c.kwh_limit),
        "kwhPerHour": hourly,
        "kwhPerMaxResolution": [],
        "costBreakdown": [],
        "priceBreakdown": [],
        "startMeterKwh": 1000.0,
        "endMeterKwh": _kwh(1000 + c.seen_kwh) if c.stopped_at else None,
        "price": price,
        "priceLimit": (
            None if c.price_limit_minor is None else to_wire(c.price_limit_minor, c.currency, unit)
        ),
        "cost": None,
        "averagePricePerKwh": avg,
        "averageCo2PerKwh": None,
        "averageRenewablePerKwh": None,
        "failureReason": c.failure_reason,
        "stopReason": c.stop_reason,
        "paymentMethod": "team-has-fund",
        "note": None,
        "currency": currency(c.currency),
        "payingTeam": (
            {"id": team.id, "publicName": team.publicName, "operatorId": op.id} if team else None
        ),
        "sponsorTeam": None,
        "operator": operator(op),
        "chargeAuth": None,
        "soc": {"percentage": round(c.soc, 1), "source": "vehicle"} if c.started_at else None,
        "socLimit": _kwh(c.soc_limit),
        "genericPaymentSession": c.generic_payment_session,
        "partnerExternalId": c.partner_external_id,
        "smartChargeId": None,
        "partnerCustomPayload": c.partner_custom_payload,
        "chargePointKw": c.power_kw if c.state in ("charging", "stopping") else 0.0,
        "signedData": None,
        "emaidProviderId": "DK-MON",
        "vehicleId": None,
        "vid": None,
        "protocolData": {"oicp": None, "ocpi": None},
    }


def paginate(items: list[Any], page_no: int, per_page: int) -> tuple[list[Any], dict[str, int]]:
    """One 0-based page of `items` and Monta's `MontaPage.Meta` (every field present)."""
    total = len(items)
    chunk = items[page_no * per_page : (page_no + 1) * per_page]
    return chunk, {
        "itemCount": len(chunk),
        "currentPage": page_no,
        "perPage": per_page,
        "totalPageCount": (total + per_page - 1) // per_page,
        "totalItemCount": total,
    }
