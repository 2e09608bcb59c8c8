"""The bench's Monta world: the default seed plus N AC and N DC points, and hold sizing.

Every open session needs its own charge point (a point is busy until its charge ends), so
the bench writes a seed with `n` clones of the AC point 101 (11 kW) and of the DC point 103
(50 kW) for operator alpha, and sizes each card hold with chargepay's own budget function
so a session stops after the requested emulated charging time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from core.money import Money
from emulators.monta.config import EmuConfig
from emulators.monta.seed import ChargePointSeed, PriceGroupSeed, Seed, load_seed
from workflows.budget import BudgetRejected, compute_budget
from workflows.contracts import SessionConfig, Tariff

KIND_TEMPLATE = {"ac": 101, "dc": 103}
KIND_ID_BASE = {"ac": 300_000, "dc": 400_000}
MAX_HOLD_STEPS = 10_000


@dataclass(frozen=True)
class PointKind:
    kind: str
    power_kw: float
    tariff: Tariff


def bench_seed(n: int, base: Path | None = None) -> Seed:
    seed = load_seed(base or EmuConfig().seed_path)
    extra: list[ChargePointSeed] = []
    for kind, template_id in KIND_TEMPLATE.items():
        template = next(p for p in seed.chargePoints if p.id == template_id)
        extra += [
            template.model_copy(
                update={
                    "id": point_id(kind, i),
                    "name": f"Bench {kind.upper()} {i}",
                    "state": "available",
                }
            )
            for i in range(n)
        ]
    return seed.model_copy(update={"chargePoints": [*seed.chargePoints, *extra]})


def write_seed(path: Path, n: int) -> Path:
    path.write_text(json.dumps(bench_seed(n).model_dump(mode="json")))
    return path


def point_id(kind: str, i: int) -> int:
    return KIND_ID_BASE[kind] + i + 1


def tariff_of(group: PriceGroupSeed) -> Tariff:
    return Tariff(
        price_group_id=group.id,
        currency=group.currency,
        start_fee_minor=group.startFeeMinor,
        per_kwh_minor=group.kwhMinor,
        per_minute_minor=group.minuteFeeMinor,
        per_minute_after_minutes=group.minuteFeeAfterMinutes,
        idle_per_minute_minor=group.idleFeeMinor,
        idle_after_minutes=group.idleFeeAfterMinutes,
        idle_cap_minor=group.idleFeeMaxMinor or 0,
        vat_rate=Decimal(group.vatPercent) / 100,
    )


def point_kinds(seed: Seed | None = None) -> dict[str, PointKind]:
    seed = seed or load_seed(EmuConfig().seed_path)
    out = {}
    for kind, template_id in KIND_TEMPLATE.items():
        p = next(p for p in seed.chargePoints if p.id == template_id)
        group = next(g for g in seed.priceGroups if g.id == p.priceGroupId)
        out[kind] = PointKind(kind, p.maxKw, tariff_of(group))
    return out


def hold_for_kwh(kwh: Decimal, tariff: Tariff, config: SessionConfig) -> Money:
    """The smallest hold (to 1 % steps) whose soft kWh budget reaches `kwh`."""
    gross_per_kwh = Decimal(tariff.per_kwh_minor) * (1 + tariff.vat_rate)
    amount = int(kwh * gross_per_kwh) + tariff.start_fee_minor + 1
    for _ in range(MAX_HOLD_STEPS):
        money = Money(amount_minor=amount, currency=tariff.currency)
        try:
            if compute_budget(money, tariff, config).kwh_budget >= kwh:
                return money
        except BudgetRejected:  # below the minimum budget: a bigger hold
            pass
        amount += max(1, amount // 100)
    raise ValueError(f"no hold buys {kwh} kWh at {tariff}")


def kwh_for_minutes(kind: PointKind, minutes: float) -> Decimal:
    return (Decimal(str(kind.power_kw)) * Decimal(str(minutes)) / 60).quantize(Decimal("0.001"))
