"""Charge points and their price groups (the tariff), scoped to the caller's operator."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from emulators.monta import serialize
from emulators.monta.deps import WorldDep, require
from emulators.monta.errors import not_found
from emulators.monta.query import instant, paging
from emulators.monta.seed import ChargePointSeed, CredentialSeed
from emulators.monta.timefmt import parse_instant
from emulators.monta.world import World

Scope_price_groups_read = Annotated[CredentialSeed, Depends(require("price-groups:read"))]
router = APIRouter(prefix="/api/v1")
PointStateFilter = Literal[
    "available",
    "busy",
    "busy-blocked",
    "busy-charging",
    "busy-non-charging",
    "busy-non-released",
    "busy-reserved",
    "busy-scheduled",
    "error",
    "disconnected",
    "passive",
    "maintenance",
    "other",
]
_READ = Annotated[CredentialSeed, Depends(require("charge-points:read"))]


def visible_point(w: World, cred: CredentialSeed, point_id: int) -> ChargePointSeed:
    p = w.points.get(point_id)
    if p is None or p.operator != cred.operator:
        raise not_found(f"charge point {point_id}")
    if cred.teamIds and p.teamId not in cred.teamIds:
        raise not_found(f"charge point {point_id}")
    return p


@router.get("/charge-points", operation_id="get-charge-points")
async def list_points(
    *,
    page: int = 0,
    perPage: int = 10,
    siteId: int | None = None,
    teamId: int | None = None,
    state: PointStateFilter | None = None,
    fromUpdatedDate: str | None = None,
    partnerExternalId: str | None = Query(default=None),
    cred: _READ,
    w: WorldDep,
) -> dict[str, Any]:
    page, perPage = paging(page, perPage)
    since = instant("fromUpdatedDate", fromUpdatedDate)
    rows = []
    for p in sorted(w.points.values(), key=lambda p: p.id):
        if p.operator != cred.operator or (cred.teamIds and p.teamId not in cred.teamIds):
            continue
        if siteId is not None and p.siteId != siteId:
            continue
        if teamId is not None and p.teamId != teamId:
            continue
        if partnerExternalId:  # seeded points carry no partnerExternalId
            continue
        doc = w.point_json(p)
        if state is not None and doc["state"] != state:
            continue
        if since is not None and parse_instant(doc["updatedAt"]) < since:
            continue
        rows.append(doc)
    chunk, meta = serialize.paginate(rows, page, perPage)
    return {"data": chunk, "meta": meta}


@router.get("/charge-points/{chargePointId}", operation_id="get-charge-point")
async def get_point(chargePointId: int, cred: _READ, w: WorldDep) -> dict[str, Any]:
    return w.point_json(visible_point(w, cred, chargePointId))


@router.get("/price-groups/{id}", operation_id="getPriceGroup")
async def get_price_group(
    id: int,
    cred: Scope_price_groups_read,
    w: WorldDep,
) -> dict[str, Any]:
    pg = w.groups.get(id)
    if pg is None or pg.operator != cred.operator:
        raise not_found(f"price group {id}")
    points = sorted(p.id for p in w.points.values() if p.priceGroupId == pg.id)
    return serialize.price_group(pg, points)
