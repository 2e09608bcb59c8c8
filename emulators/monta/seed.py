"""The seeded world: operators, teams, API credentials, price groups and charge points."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

PointState = Literal["available", "busy", "offline"]


class Team(BaseModel):
    id: int
    publicName: str


class OperatorSeed(BaseModel):
    key: str
    id: int
    name: str
    identifier: str
    vatNumber: str | None = None
    teams: list[Team]


class CredentialSeed(BaseModel):
    clientId: str
    clientSecret: str
    operator: str
    name: str
    scopes: list[str]
    teamIds: list[int] = Field(default_factory=list)


class PriceGroupSeed(BaseModel):
    """A tariff, net of VAT, amounts in minor units of `currency`."""

    id: int
    operator: str
    teamId: int
    name: str
    currency: str
    vatPercent: int
    kwhMinor: int
    startFeeMinor: int = 0
    minuteFeeMinor: int = 0
    minuteFeeAfterMinutes: int = 0
    idleFeeMinor: int = 0
    idleFeeAfterMinutes: int = 0
    idleFeeMaxMinor: int | None = None


class ChargePointSeed(BaseModel):
    id: int
    operator: str
    teamId: int
    siteId: int
    name: str
    type: Literal["ac", "dc"]
    maxKw: float
    state: PointState
    priceGroupId: int
    releaseDetection: bool = False


class Seed(BaseModel):
    operators: list[OperatorSeed]
    credentials: list[CredentialSeed]
    priceGroups: list[PriceGroupSeed]
    chargePoints: list[ChargePointSeed]

    def operator(self, key: str) -> OperatorSeed:
        return next(o for o in self.operators if o.key == key)

    def team_operator(self, team_id: int) -> OperatorSeed | None:
        return next((o for o in self.operators if any(t.id == team_id for t in o.teams)), None)

    def team(self, team_id: int) -> Team | None:
        op = self.team_operator(team_id)
        return next(t for t in op.teams if t.id == team_id) if op else None


def load_seed(path: Path) -> Seed:
    return Seed.model_validate(json.loads(path.read_text(encoding="utf-8")))


def with_extra_points(seed: Seed, per_operator: int) -> Seed:
    """Clone each operator's first AC point `per_operator` times (ids op_id * 100000 + n)."""
    extra = []
    for op in seed.operators:
        template = next(p for p in seed.chargePoints if p.operator == op.key and p.type == "ac")
        extra += [
            template.model_copy(
                update={"id": op.id * 100_000 + n, "name": f"Load {n}", "state": "available"}
            )
            for n in range(1, per_operator + 1)
        ]
    return seed.model_copy(update={"chargePoints": [*seed.chargePoints, *extra]})
