"""The emulator's own control surface under /_emulator (not part of Monta's API)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from emulators.monta.deps import WorldDep
from emulators.monta.errors import bad_request, not_found
from emulators.monta.faults import FaultSpec
from emulators.monta.model import Car
from emulators.monta.operations import known_operations
from emulators.monta.world import now

router = APIRouter(prefix="/_emulator", include_in_schema=False)


class CarBody(BaseModel):
    never_plug: bool = False
    plug_delay_s: float | None = Field(default=None, ge=0)
    battery_kwh: float = Field(default=80.0, gt=0)
    unplug_after_kwh: float | None = Field(default=None, ge=0)
    pause_after_kwh: float | None = Field(default=None, ge=0)
    pause_for_s: float = Field(default=0.0, ge=0)
    fail_after_kwh: float | None = Field(default=None, ge=0)
    stay_plugged_s: float | None = Field(default=None, ge=0)


class PointBody(BaseModel):
    state: Literal["available", "busy", "offline"] | None = None
    car: CarBody | None = None


@router.get("/health")
async def health() -> dict[str, Any]:
    return {"ok": True}


@router.post("/reset")
async def reset(w: WorldDep) -> dict[str, Any]:
    w.reset()
    return {"ok": True}


@router.put("/faults")
async def put_faults(spec: FaultSpec, w: WorldDep) -> dict[str, Any]:
    known = known_operations()
    unknown = sorted({f.operation for f in spec.http} - known - {"*"})
    if unknown:  # a misspelt operationId would make a fault test pass without a fault
        raise bad_request(
            f"unknown operationId(s): {', '.join(unknown)}", context={"known": sorted(known)}
        )
    w.faults.set(spec)
    return w.faults.view()


@router.get("/faults")
async def get_faults(w: WorldDep) -> dict[str, Any]:
    return w.faults.view()


@router.put("/charge-points/{point_id}")
async def put_point(point_id: int, body: PointBody, w: WorldDep) -> dict[str, Any]:
    if point_id not in w.points:
        raise not_found(f"charge point {point_id}")
    if body.state is not None:
        w.point_state[point_id] = body.state
        w.point_updated[point_id] = now()
    if body.car is not None:
        w.next_car[point_id] = Car(**body.car.model_dump())
    return w.point_json(w.point(point_id))


@router.post("/charges/{charge_id}/unplug")
async def unplug(charge_id: int, w: WorldDep) -> dict[str, Any]:
    c = w.charges.get(charge_id)
    if c is None:
        raise not_found(f"charge {charge_id}")
    w.physics.unplug(c, now())
    return w.charge_json(c)


@router.get("/truth")
async def truth(w: WorldDep, since: float = 0.0) -> dict[str, Any]:
    return w.truth(since)
