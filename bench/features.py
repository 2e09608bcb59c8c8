"""`python -m bench --quick --features`: the quick run with incremental authorization and
idle fees on (docs/increments.md, docs/idle-fees.md), so the same figures and targets are
measured with both features doing their work.

- **Increments at the AC points.** Operator alpha's ceiling is the hold the quick run
  places for an AC charge of the phase's length (`world.hold_for_kwh`, idle reserve
  included), and each AC terminal places a first hold that buys a quarter of that charge:
  the session grows it in increments and stops where the run without features stops.
  The ceiling is the operator's, one for every point, so the DC points keep increments off
  (`increments_off_points`, the operator's per-site choice): under one ceiling a DC charge
  would last a sixth of an AC one, and the throughput loop (DC) would measure how long a
  grown charge lasts on the wall instead of what the system carries.
- **Idle fees.** Operator alpha bills the chaos run's rule at every point (`"*"`), where
  Monta's price group has none (the AC points; the DC points keep Monta's own). The cars
  of the open phase stay plugged in after energy stopped: under the grace period, past it,
  and past the cap, so the hold waits for the unplug and the capture adds the fee.
- **The money check.** From ground truth, as the chaos run checks it: each capture is
  min(Monta's price + the idle fee recomputed from the emulator's instants, the hold the
  acquirer has), and the increments the acquirer applied are counted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.chaos import idle, increments
from bench.chaos.checks import Session, captured_minor, price_minor, verdict
from bench.load import Planned, Started
from bench.world import PointKind, hold_for_kwh, kwh_for_minutes, point_id
from core.idle_rules import IdleFeeRule
from core.money import Money
from devstack.operators_file import write_operators_file
from workflows.contracts import SessionConfig, SessionStatus

if TYPE_CHECKING:
    from bench.context import BenchContext

OPERATOR = "alpha"
INCREMENTS_ON = "ac"
FIRST_HOLD_SHARE = Decimal("0.25")  # of the charge the ceiling buys
RULE = idle.Rule()  # the chaos run's: 20/min after 10 minutes, at most 500 (net)
# Stays after energy stopped, in emulated minutes, by point kind, one per session in turn:
# under the grace (10), past it, past the cap (35). DC cars leave before Monta's own idle
# fee starts (30): the DC hold is sized without it.
STAYS_MINUTES = {"ac": (5.0, 20.0, 40.0), "dc": (5.0, 20.0)}
# The budget keeps room for this long an idle time's fee: the documented default
# (docs/configuration.md). The stacks' .env.example sets 0, which leaves an idle fee only
# the hold's safety margin, so the run sets it back.
IDLE_RESERVE_MINUTES = 30
# Settings for small steps, so a charge grows in several increments (docs/increments.md):
# the lead covers the view's lag (60 s) plus the timeout at the quick run's 30x.
INCREMENT_SETTINGS = {
    "CHARGEPAY_INCREMENT_TIMEOUT_S": "8",
    "CHARGEPAY_INCREMENT_LEAD_S": "300",
    "CHARGEPAY_INCREMENT_HORIZON_S": "900",
    "CHARGEPAY_INCREMENT_MIN_MINOR": "100",
}


@dataclasses.dataclass(frozen=True)
class Features:
    ceiling: Money
    first_hold: Money
    increments_off_points: tuple[int, ...]

    @classmethod
    def of(
        cls,
        kinds: Mapping[str, PointKind],
        charge_minutes: float,
        points: int,
        config: SessionConfig,
    ) -> Features:
        """`points`: the seed's clones of each kind (bench/world.py). The holds are sized
        with the idle fee's reserve, as the sessions' budgets count it."""
        ac = kinds[INCREMENTS_ON]
        rule = IdleFeeRule(**dataclasses.asdict(RULE))
        sizing = config.model_copy(
            update={"idle_fee": rule, "idle_reserve_minutes": IDLE_RESERVE_MINUTES}
        )
        ceiling = hold_for_kwh(kwh_for_minutes(ac, charge_minutes), ac.tariff, sizing)
        first = hold_for_kwh(
            kwh_for_minutes(ac, charge_minutes * float(FIRST_HOLD_SHARE)), ac.tariff, sizing
        )
        off = tuple(point_id(k, i) for k in kinds if k != INCREMENTS_ON for i in range(points))
        return cls(ceiling, first, off)

    def stack_env(self, data_dir: Path) -> dict[str, str]:
        """The chargepay settings of the run: an operators file with both features on."""
        path = write_operators_file(
            data_dir / "operators-bench.toml",
            {
                OPERATOR: {
                    "increment_ceiling_minor": self.ceiling.amount_minor,
                    "increments_off_points": list(self.increments_off_points),
                }
            },
        )
        lines = [*path.read_text().rstrip("\n").splitlines(), ""]
        lines += [f'[operators.{OPERATOR}.idle_fees."*"]', *idle.toml_lines(RULE)]
        path.write_text("\n".join(lines) + "\n")
        return {
            "CHARGEPAY_OPERATORS_FILE": str(path),
            "CHARGEPAY_IDLE_RESERVE_MINUTES": str(IDLE_RESERVE_MINUTES),
            **INCREMENT_SETTINGS,
        }

    async def prepare(self, ctx: BenchContext, planned: list[Planned]) -> list[Planned]:
        """The phase's sessions with their first holds, and each point's next car told how
        long to stay plugged in (the emulator's control API)."""
        out = []
        for n, p in enumerate(planned):
            car = {"car": {"stay_plugged_s": stay_s(p.kind, n)}}
            url = f"{ctx.stack.monta_url}/_emulator/charge-points/{p.point_id}"
            await ctx.json("PUT", url, json=car)
            first = self.first_hold if p.kind == INCREMENTS_ON else p.amount
            out.append(dataclasses.replace(p, amount=first))
        return out

    def setup(self, time_scale: float) -> idle.IdleSetup:
        return idle.IdleSetup(
            {OPERATOR: {"*": RULE}},
            time_scale,
            monta_idle_points=frozenset(self.increments_off_points),
        )

    def describe(self) -> dict[str, Any]:
        return {
            "increments": {
                "at": INCREMENTS_ON,
                "ceiling_minor": self.ceiling.amount_minor,
                "first_hold_minor": self.first_hold.amount_minor,
                "off_points": len(self.increments_off_points),
                "settings": INCREMENT_SETTINGS,
            },
            "idle_fee": {**dataclasses.asdict(RULE), "points": "*"},
            "idle_reserve_minutes": IDLE_RESERVE_MINUTES,
            "stays_minutes": {k: list(v) for k, v in STAYS_MINUTES.items()},
        }


def stay_s(kind: str, index: int) -> float:
    """Emulated seconds the `index`th car of `kind` stays plugged in after energy stopped."""
    stays = STAYS_MINUTES[kind]
    return stays[index % len(stays)] * 60


def money_check(
    sessions: list[Session],
    charges: list[dict[str, Any]],
    holds: list[dict[str, Any]],
    setup: idle.IdleSetup,
    money_unit: str,
) -> dict[str, Any]:
    """The chaos run's verdict on the phase's sessions, their charges and holds (every
    figure must be 0), with the increments the acquirer applied and the idle fees due."""
    mine = {s.hold_ref for s in sessions}
    held = [h for h in holds if h["id"] in mine]
    ids = {s.session_id for s in sessions}
    charged = [c for c in charges if str(c.get("partnerExternalId")) in ids]
    v = verdict(sessions, charged, held, money_unit, setup)
    by_hold = {s.session_id: s.hold_ref for s in sessions}
    holds_by_id = {h["id"]: h for h in held}
    return {
        "figures": v.figures,
        "passed": v.passed,
        "problems": v.problems[:5],
        "increments_applied": increments.applied(held),
        "holds_grown": sum(1 for h in held if h.get("increments")),
        "idle": idle.summary(charged, setup),
        "idle_collected": idle_collected(charged, by_hold, holds_by_id, setup, money_unit),
    }


def idle_collected(
    charges: list[dict[str, Any]],
    hold_of: Mapping[str, str | None],
    holds: Mapping[str, dict[str, Any]],
    setup: idle.IdleSetup,
    money_unit: str,
) -> dict[str, int]:
    """chargepay's idle fees as due and as captured (above Monta's price, within the hold):
    a fee above what the hold has left is capped, not collected later."""
    due = collected = capped = 0
    for charge in charges:
        hold = holds.get(hold_of.get(str(charge.get("partnerExternalId"))) or "")
        fee = idle.expected_fee(charge, setup)
        if hold is None or fee.by != "chargepay" or fee.fee_minor <= 0:
            continue
        energy = min(price_minor(charge, money_unit), int(hold["amount_minor"]))
        got = max(0, captured_minor(hold) - energy)
        due += fee.fee_minor
        collected += got
        capped += got < fee.fee_minor
    return {"due_minor": due, "captured_minor": collected, "charges_capped_by_hold": capped}


def sessions_of(started: list[Started], statuses: list[SessionStatus | None]) -> list[Session]:
    """The phase's started sessions as the chaos verdict sees them (final: completed)."""
    return [
        Session(
            session_id=s.session_id,
            hold_ref=s.hold_id,
            got_session_id=True,
            exists=True,
            final=st is not None,
            state=st.state if st else None,
            attention=st.attention if st else None,
        )
        for s, st in zip(started, statuses, strict=True)
    ]
