"""Charges: start, read, list, stop (a GET, as in Monta's spec), patch."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from emulators.monta import serialize
from emulators.monta.deps import ReceivedAt, WorldDep, require
from emulators.monta.errors import MontaError, bad_request, not_found
from emulators.monta.model import Charge
from emulators.monta.pricing import from_wire
from emulators.monta.query import instant, paging
from emulators.monta.routes_points import visible_point
from emulators.monta.seed import CredentialSeed
from emulators.monta.world import World, now

Scope_charges_write = Annotated[CredentialSeed, Depends(require("charges:write"))]
router = APIRouter(prefix="/api/v1")
_CONTROL = Annotated[
    CredentialSeed, Depends(require("control-charging:write", "control-public-charging:write"))
]
_READ = Annotated[CredentialSeed, Depends(require("charge-transactions:read"))]


ChargeStateFilter = Literal[
    "reserved", "starting", "charging", "stopping", "paused", "scheduled", "stopped", "completed"
]


class GenericPaymentSession(BaseModel):
    provider: str
    externalId: str
    partnerExternalId: str | None = None
    cardBrand: str | None = None
    cardLast4: str | None = None
    amount: float | None = Field(default=None, ge=0)


class StartChargeRequest(BaseModel):
    payingTeamId: int
    chargePointId: int
    reserveCharge: bool = False
    kwhLimit: float | None = Field(default=None, ge=1, le=500)
    socLimit: float | None = Field(default=None, ge=1, le=100)
    priceLimit: float | None = Field(default=None, ge=1)
    priceGroupId: int | None = Field(default=None, ge=0)
    genericPaymentSession: GenericPaymentSession | None = None
    partnerExternalId: str | None = None
    partnerCustomPayload: dict[str, Any] | None = None


class PatchCharge(BaseModel):
    genericPaymentSession: GenericPaymentSession | None = None
    partnerExternalId: str | None = None
    partnerCustomPayload: dict[str, Any] | None = None


def _dec(v: float | None) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def visible_charge(w: World, cred: CredentialSeed, charge_id: int) -> Charge:
    c = w.charges.get(charge_id)
    if c is None or c.operator != cred.operator:
        raise not_found(f"charge {charge_id}")
    point = w.point(c.charge_point_id)
    if cred.teamIds and c.paying_team_id not in cred.teamIds and point.teamId not in cred.teamIds:
        raise not_found(f"charge {charge_id}")
    return c


@router.post("/charges", operation_id="start-charge")
async def start_charge(body: StartChargeRequest, cred: _CONTROL, w: WorldDep) -> dict[str, Any]:
    point = visible_point(w, cred, body.chargePointId)
    team_op = w.seed.team_operator(body.payingTeamId)
    if team_op is None or team_op.key != cred.operator:
        raise not_found(f"paying team {body.payingTeamId}")
    if cred.teamIds and body.payingTeamId not in cred.teamIds:
        raise MontaError(403, "ACCESS_FORBIDDEN", "Operator doesn't have access to resource")
    if body.priceGroupId is not None:
        pg = w.groups.get(body.priceGroupId)
        if pg is None or pg.operator != cred.operator:
            raise not_found(f"price group {body.priceGroupId}")
    if body.reserveCharge:
        raise bad_request("reserveCharge is not supported by this emulator")
    state = w.monta_point_state(point.id)
    if state == "disconnected":
        raise MontaError(
            400,
            "CHARGE_POINT_OFFLINE",
            f"Charge point {point.id} is offline",
            readable="The charge point is offline",
            context={"chargePointId": point.id},
        )
    if state != "available":
        raise MontaError(
            400,
            "CHARGE_POINT_BUSY",
            f"Charge point {point.id} is busy ({state})",
            readable="The charge point is busy",
            context={"chargePointId": point.id},
        )
    currency = w.price_group(body.priceGroupId or point.priceGroupId).currency
    c = w.create_charge(
        cred.clientId,
        cred.operator,
        now(),
        charge_point_id=point.id,
        paying_team_id=body.payingTeamId,
        price_group_id=body.priceGroupId,
        kwh_limit=_dec(body.kwhLimit),
        soc_limit=_dec(body.socLimit),
        price_limit_minor=(
            None
            if body.priceLimit is None
            else from_wire(body.priceLimit, currency, w.cfg.money_unit)
        ),
        generic_payment_session=(
            body.genericPaymentSession.model_dump() if body.genericPaymentSession else None
        ),
        partner_external_id=body.partnerExternalId,
        partner_custom_payload=body.partnerCustomPayload,
    )
    return w.charge_json(c)


@router.get("/charges", operation_id="get-charges")
async def list_charges(
    *,
    page: int = 0,
    perPage: int = 10,
    teamId: int | None = None,
    chargePointId: int | None = None,
    siteId: int | None = None,
    state: ChargeStateFilter | None = None,
    fromDate: str | None = None,
    toDate: str | None = None,
    fromUpdatedDate: str | None = None,
    fromCompletedDate: str | None = None,
    toCompletedDate: str | None = None,
    partnerExternalId: str | None = None,
    operatorRole: Literal["owner", "payer"] | None = None,
    cred: _READ,
    w: WorldDep,
) -> dict[str, Any]:
    page, perPage = paging(page, perPage)
    from_d, to_d = instant("fromDate", fromDate), instant("toDate", toDate)
    from_u = instant("fromUpdatedDate", fromUpdatedDate)
    from_c, to_c = (
        instant("fromCompletedDate", fromCompletedDate),
        instant("toCompletedDate", toCompletedDate),
    )
    payer = operatorRole == "payer"

    def keep(c: Charge) -> bool:
        point = w.point(c.charge_point_id)
        checks = [
            c.operator == cred.operator,
            not cred.teamIds or c.paying_team_id in cred.teamIds or point.teamId in cred.teamIds,
            teamId is None or (c.paying_team_id if payer else point.teamId) == teamId,
            chargePointId is None or c.charge_point_id == chargePointId,
            siteId is None or point.siteId == siteId,
            state is None or c.state == state,
            from_d is None or c.created_at >= from_d,
            to_d is None or c.created_at <= to_d,
            from_u is None or c.updated_at >= from_u,
            from_c is None or (c.completed_at is not None and c.completed_at >= from_c),
            to_c is None or (c.completed_at is not None and c.completed_at <= to_c),
            partnerExternalId is None or (c.partner_external_id or "") == partnerExternalId,
        ]
        return all(checks)

    rows = [c for c in sorted(w.charges.values(), key=lambda c: c.id) if keep(c)]
    chunk, meta = serialize.paginate(rows, page, perPage)
    return {"data": [w.charge_json(c) for c in chunk], "meta": meta}


@router.get("/charges/{chargeId}", operation_id="get-charge")
async def get_charge(chargeId: int, cred: _READ, w: WorldDep) -> dict[str, Any]:
    return w.charge_json(visible_charge(w, cred, chargeId))


@router.get("/charges/{chargeId}/stop", operation_id="stop-charge")
async def stop_charge(chargeId: int, cred: _CONTROL, w: WorldDep, t: ReceivedAt) -> dict[str, Any]:
    """Idempotent: a charge already stopping or ended is returned unchanged."""
    c = visible_charge(w, cred, chargeId)
    c.stop_requests.append(t)
    w.physics.request_stop(c, t, "stopped-by-api")
    return w.charge_json(c)


@router.patch("/charges/{chargeId}", operation_id="patch-charge")
async def patch_charge(
    chargeId: int,
    body: PatchCharge,
    cred: Scope_charges_write,
    w: WorldDep,
) -> dict[str, Any]:
    c = visible_charge(w, cred, chargeId)
    sent = body.model_fields_set
    if "genericPaymentSession" in sent:  # the whole object is overwritten
        gps = body.genericPaymentSession
        c.generic_payment_session = gps.model_dump() if gps else None
    if "partnerExternalId" in sent:
        c.partner_external_id = body.partnerExternalId
    if "partnerCustomPayload" in sent:
        c.partner_custom_payload = body.partnerCustomPayload
    if sent and c.state != "completed":
        c.updated_at = now()
    return w.charge_json(c)
