"""`CHAOS_IDLE=on`: the chaos run with idle (overstay) fees on for both operators
(docs/idle-fees.md), and cars that stay plugged in after they are full or stopped, so idle
time accrues under the same kills and faults as every other step.

Both operators get a rule for every point (`"*"`) with release detection on, and every
third of the run's own points a rule that says the charger does not detect the unplug
(idle time then ends at Monta's `completed`). Points whose Monta price group has an idle
fee of its own (the seeded DC points 103, 105 and 202) keep Monta's fee: chargepay must add
nothing there.

The check's side (`expected_fee`) is pure and independent of chargepay's code: it reads
the emulator's ground truth (the charge's `fullyChargedAt`/`stoppedAt`, then `releasedAt`
or `completedAt`, wall instants at the run's time scale) and applies the same rule.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from bench.chaos.plan import EXTRA_POINT_BASE, SessionPlan
from devstack.operators_file import OPERATORS_FILE
from emulators.monta.config import EmuConfig
from emulators.monta.seed import load_seed, with_extra_points

PER_MINUTE_MINOR = 20  # net, per real minute after the grace period
GRACE_MINUTES = 10
CAP_MINOR = 500  # net, per session: reached 35 minutes after energy stopped
# Every Nth of the run's own points: the operator says its charger does not detect the unplug.
NO_RELEASE_DETECTION_EVERY = 3
# Real seconds a car stays plugged in after energy stopped: under the grace period, past it,
# at the cap, and well past the cap (the idle watch ends the wait first where the operator
# says the charger detects the unplug). The longest is 24 s on the wall at 300x, well within
# the run's wait for every session to be final.
STAYS_S = (300.0, 1200.0, 1800.0, 3600.0, 7200.0)
VAT = {"alpha": Decimal("0.25"), "bravo": Decimal("0.19")}  # config/operators.toml

_MINUTE = Decimal("0.01")


def enabled() -> bool:
    return os.environ.get("CHAOS_IDLE", "off").lower() in ("on", "1", "true", "yes")


@dataclass(frozen=True)
class Rule:
    """The operator's idle fee at a point, as the chaos run writes it (net minor units)."""

    per_minute_minor: int = PER_MINUTE_MINOR
    grace_minutes: int = GRACE_MINUTES
    cap_minor: int = CAP_MINOR
    release_detection: bool = True


def rules(sessions: int) -> dict[str, dict[str, Rule]]:
    """Per operator, per point key ("*" or a point id): the rules the run gives chargepay."""
    out: dict[str, dict[str, Rule]] = {}
    for op, base in EXTRA_POINT_BASE.items():
        table = {"*": Rule()}
        for n in range(NO_RELEASE_DETECTION_EVERY, sessions + 1, NO_RELEASE_DETECTION_EVERY):
            table[str(base + n)] = Rule(release_detection=False)
        out[op] = table
    return out


def toml_lines(rule: Rule) -> list[str]:
    return [
        f"per_minute_minor = {rule.per_minute_minor}",
        f"grace_minutes = {rule.grace_minutes}",
        f"cap_minor = {rule.cap_minor}",
        f"release_detection = {'true' if rule.release_detection else 'false'}",
    ]


def stack_env(data_dir: Path, sessions: int, env: dict[str, str]) -> dict[str, str]:
    """The chargepay settings of a run with idle fees on; {} when they are off. `env`: the
    settings so far: an operators file CHAOS_INCREMENTS wrote gets the idle tables too, so
    the stack reads one file with both."""
    if not enabled():
        return {}
    source = Path(env.get("CHARGEPAY_OPERATORS_FILE", str(OPERATORS_FILE)))
    lines = source.read_text().rstrip("\n").splitlines()
    for op, table in rules(sessions).items():
        for key, rule in table.items():
            lines += ["", f'[operators.{op}.idle_fees."{key}"]', *toml_lines(rule)]
    dest = data_dir / "operators-chaos.toml"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("\n".join(lines) + "\n")
    return {"CHARGEPAY_OPERATORS_FILE": str(dest)}


def with_stays(plans: list[SessionPlan], seed: int) -> list[SessionPlan]:
    """Each car stays plugged in a seeded while after energy stopped (off: as planned)."""
    if not enabled():
        return plans
    rng = random.Random(f"idle-{seed}")
    return [replace(p, car={**p.car, "stay_plugged_s": rng.choice(STAYS_S)}) for p in plans]


# -- the check's side (pure) ----------------------------------------------------------------


@dataclass(frozen=True)
class IdleSetup:
    """What the check needs to recompute chargepay's idle fee from the emulator's truth."""

    rules: dict[str, dict[str, Rule]]
    time_scale: float
    monta_idle_points: frozenset[int] = frozenset()  # price group with its own idle fee
    vat: dict[str, Decimal] = field(default_factory=lambda: dict(VAT))

    def rule(self, operator: str, point_id: int) -> Rule | None:
        table = self.rules.get(operator, {})
        return table.get(str(point_id), table.get("*"))


def setup(sessions: int, time_scale: float, seed_path: Path | None = None) -> IdleSetup | None:
    """The run's setup (None when idle fees are off): the rules, and the points whose Monta
    price group bills idle time itself (from the emulator's seed, as the run extends it)."""
    if not enabled():
        return None
    seed = with_extra_points(load_seed(seed_path or EmuConfig().seed_path), sessions)
    monta = {g.id for g in seed.priceGroups if g.idleFeeMinor > 0}
    points = frozenset(p.id for p in seed.chargePoints if p.priceGroupId in monta)
    return IdleSetup(rules(sessions), time_scale, points)


@dataclass(frozen=True)
class Expected:
    """chargepay's idle fee for one charge, as the check recomputes it (gross minor)."""

    fee_minor: int
    minutes: Decimal
    by: str  # "chargepay", "monta" (inside Monta's price: chargepay adds 0) or "none"


def _instant(t: Any) -> datetime | None:
    # As Monta prints it: a wall instant to the microsecond (emulators/monta/timefmt.py).
    return None if t is None else datetime.fromtimestamp(float(t), UTC)


def _stopped_at(charge: dict[str, Any]) -> datetime | None:
    return next(
        (_instant(s["t"]) for s in charge.get("states", []) if s.get("state") == "stopped"), None
    )


def idle_window(charge: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """From energy stopping (full or stopped, whichever first) with a car that plugged in,
    to the unplug the charger reported, else Monta's `completed`."""
    if not any(s.get("state") == "charging" for s in charge.get("states", [])):
        return None  # no car ever plugged in
    marks = [t for t in (_instant(charge.get("fully_charged_at")), _stopped_at(charge)) if t]
    end = _instant(charge.get("released_at")) or _instant(charge.get("completed_at"))
    if not marks or end is None:
        return None
    return min(marks), end


def expected_fee(charge: dict[str, Any], idle: IdleSetup) -> Expected:
    """The idle fee chargepay must add to Monta's price for this charge, before the hold's
    bound: (real idle minutes, to 0.01, - grace) x per-minute fee, at most the cap, plus
    VAT. 0 where Monta's price group bills idle time itself (it is inside Monta's price)."""
    op, point = str(charge.get("operator")), int(charge.get("chargePointId") or 0)
    if point in idle.monta_idle_points:
        return Expected(0, Decimal(0), "monta")
    rule = idle.rule(op, point)
    window = idle_window(charge)
    if rule is None or rule.per_minute_minor <= 0 or window is None:
        return Expected(0, Decimal(0), "none")
    start, end = window
    real_s = max(0.0, (end - start).total_seconds()) * idle.time_scale
    minutes = (Decimal(str(real_s)) / 60).quantize(_MINUTE, rounding=ROUND_HALF_EVEN)
    net = max(Decimal(0), minutes - rule.grace_minutes) * rule.per_minute_minor
    if rule.cap_minor:
        net = min(net, Decimal(rule.cap_minor))
    vat = idle.vat.get(op, Decimal(0))
    fee = int((net * (1 + vat)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return Expected(fee, minutes, "chargepay")


def summary(charges: list[dict[str, Any]], idle: IdleSetup | None) -> dict[str, Any] | None:
    """For the report: how many charges idled into a fee, by whom, and chargepay's total."""
    if idle is None:
        return None
    fees = [expected_fee(c, idle) for c in charges]
    mine = [f for f in fees if f.by == "chargepay" and f.fee_minor > 0]
    cap = [f for f in mine if f.minutes >= GRACE_MINUTES + Decimal(CAP_MINOR) / PER_MINUTE_MINOR]
    return {
        "charges_with_chargepay_fee": len(mine),
        "charges_at_cap": len(cap),
        "chargepay_fee_minor_total": sum(f.fee_minor for f in mine),
        "charges_on_montas_idle_fee": sum(1 for f in fees if f.by == "monta"),
    }


def idle_window_iso(charge: dict[str, Any]) -> list[str] | None:
    """The idle window as Monta's instants, for a problem's detail (None: no idle time)."""
    window = idle_window(charge)
    return None if window is None else [t.isoformat() for t in window]
