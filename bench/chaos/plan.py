"""The seeded session mix: who taps which card at which charge point, and what the car does.

Every choice comes from `random.Random(seed)`, so a seed replays the same sessions.
Most sessions get a charge point of their own (the emulator's extra AC points, ids
100001.. for alpha and 200001.. for bravo); a few share the seeded DC points one at a time.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

EXTRA_POINT_BASE = {"alpha": 100_000, "bravo": 200_000}
SHARED_POINTS = {"alpha": [103, 104, 105], "bravo": [202]}
BUSY_POINT, OFFLINE_POINT, SEK_POINT = 106, 107, 108
TERMINALS_PER_OPERATOR = 8

APPROVED_CARDS = ("4242424242424242", "5555555555554444")
APPROVED_TOKENS = ("tok_visa", "tok_mastercard")
DECLINED_TOKENS = ("tok_chargeDeclined", "tok_chargeDeclinedInsufficientFunds")

# kind -> weight. Each kind names the outcome a correct chargepay should reach.
MIX: dict[str, int] = {
    "charge": 40,  # card-present hold, own AC point, charge until the hold is used up
    "shared_dc": 8,  # a seeded DC point (one session at a time)
    "cnp": 8,  # card-not-present: chargepay authorizes a vault token
    "cnp_declined": 6,  # the token is declined -> declined, Monta never called
    "busy": 4,  # seeded busy point -> start_failed, hold voided
    "offline": 4,  # offline point -> start_failed, hold voided
    "never_plug": 8,  # the car never plugs in -> voided
    "unplug_early": 8,  # the driver unplugs after a few kWh -> captured for those kWh
    "terminal_stop": 8,  # the terminal asks to stop after a while
    "pause": 3,  # the car pauses mid-charge for a while
    "rejected": 3,  # EUR hold on a SEK point -> rejected, hold voided
}


@dataclass(frozen=True)
class SessionPlan:
    index: int
    kind: str
    operator: str
    terminal_id: str
    transaction_id: str
    charge_point_id: int
    amount_minor: int
    currency: str
    card_number: str | None = None  # card-present: the terminal places a hold with it
    payment_token: str | None = None  # card-not-present
    car: dict[str, Any] = field(default_factory=dict)  # PUT /_emulator/charge-points/{id}
    start_at_s: float = 0.0  # offset from the start of the run
    stop_after_s: float | None = None  # terminal stop, wall seconds after the start answer

    @property
    def session_id(self) -> str:
        return f"session-{self.operator}-{self.terminal_id}-{self.transaction_id}"

    @property
    def shared_point(self) -> bool:
        return self.kind == "shared_dc"

    def public(self) -> dict[str, Any]:
        """The plan as logged: the card number is never written anywhere."""
        data = asdict(self)
        card = data.pop("card_number")
        data["card_last4"] = card[-4:] if card else None
        data["session_id"] = self.session_id
        return data


def _car(kind: str, rng: random.Random) -> dict[str, Any]:
    if kind == "never_plug":
        return {"never_plug": True}
    if kind == "unplug_early":
        return {"unplug_after_kwh": round(rng.uniform(0.5, 6.0), 2)}
    if kind == "pause":
        return {"pause_after_kwh": round(rng.uniform(1.0, 5.0), 2), "pause_for_s": 900.0}
    return {"battery_kwh": float(rng.choice([40, 60, 80, 100]))}


def _point(kind: str, operator: str, index: int, rng: random.Random) -> int:
    if kind == "shared_dc":
        return rng.choice(SHARED_POINTS[operator])
    if kind == "busy":
        return BUSY_POINT
    if kind == "offline":
        return OFFLINE_POINT
    if kind == "rejected":
        return SEK_POINT
    return EXTRA_POINT_BASE[operator] + index + 1


def _operator(kind: str, rng: random.Random) -> str:
    if kind in ("busy", "offline", "rejected"):
        return "alpha"  # the special seeded points are alpha's
    return "alpha" if rng.random() < 0.75 else "bravo"


def _payment(kind: str, rng: random.Random) -> tuple[str | None, str | None]:
    if kind == "cnp":
        return None, rng.choice(APPROVED_TOKENS)
    if kind == "cnp_declined":
        return None, rng.choice(DECLINED_TOKENS)
    return rng.choice(APPROVED_CARDS), None


def build_plan(seed: int, sessions: int, launch_window_s: float) -> list[SessionPlan]:
    rng = random.Random(seed)
    kinds = list(MIX)
    weights = [MIX[k] for k in kinds]
    starts = sorted(rng.uniform(0.0, launch_window_s) for _ in range(sessions))
    plans = []
    for i, start_at in enumerate(starts):
        kind = rng.choices(kinds, weights)[0]
        operator = _operator(kind, rng)
        card, token = _payment(kind, rng)
        stop_after = rng.uniform(3.0, 20.0) if kind == "terminal_stop" else None
        plans.append(
            SessionPlan(
                index=i,
                kind=kind,
                operator=operator,
                terminal_id=f"CHAOS{rng.randrange(TERMINALS_PER_OPERATOR):02d}",
                transaction_id=f"s{seed}_{i:04d}",
                charge_point_id=_point(kind, operator, i, rng),
                amount_minor=rng.choice([500, 1000, 1500, 2000, 2500, 3000]),
                currency="EUR",
                card_number=card,
                payment_token=token,
                car=_car(kind, rng),
                start_at_s=round(start_at, 3),
                stop_after_s=None if stop_after is None else round(stop_after, 2),
            )
        )
    return plans


def charge_points_of(operator: str, sessions: int) -> list[int]:
    """Every point a terminal of this operator may use in a run of `sessions` sessions."""
    base = EXTRA_POINT_BASE[operator]
    extra = [base + i + 1 for i in range(sessions)]
    special = [BUSY_POINT, OFFLINE_POINT, SEK_POINT] if operator == "alpha" else []
    return [*SHARED_POINTS[operator], *special, *extra]
