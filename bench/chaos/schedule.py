"""The seeded fault timeline: what the fault driver does when (offsets in wall seconds).

Built up front from `random.Random(seed)` so a seed replays the same timeline; the driver
logs each event with the instant it actually happened.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from bench.chaos import params as p
from bench.chaos.params import ChaosParams

Kind = str  # kill_worker | kill_api | restart_temporal | monta_faults | acquirer_faults | ...


@dataclass(frozen=True)
class FaultEvent:
    at_s: float
    kind: Kind
    args: dict[str, Any] = field(default_factory=dict)


# Operations a 429 burst hits: Monta's token endpoints are fair-use and never throttled.
THROTTLED_OPERATIONS = (
    "start-charge",
    "stop-charge",
    "get-charge",
    "get-charges",
    "patch-charge",
    "get-charge-point",
    "get-charge-points",
    "getPriceGroup",
    "get-wallet-transactions",
    "get-current-consumer",
)


STEP_FAULTS_MONTA: list[dict[str, Any]] = [
    {
        "operation": "start-charge",
        "kind": "timeout_then_commit",
        "rate": p.STEP_FAULT_RATE,
        "delay_s": p.RESPONSE_HOLD_S,
    },
    {"operation": "get-charges", "kind": "5xx", "rate": p.STEP_FAULT_RATE},
    {"operation": "stop-charge", "kind": "4xx", "rate": p.STEP_FAULT_RATE},
    {"operation": "patch-charge", "kind": "4xx", "rate": p.STEP_FAULT_RATE},
]
STEP_FAULTS_ACQUIRER: list[dict[str, Any]] = [
    {
        "operation": op,
        "kind": "timeout_then_commit",
        "rate": p.STEP_FAULT_RATE,
        "delay_s": p.RESPONSE_HOLD_S,
    }
    for op in ("capture", "void")
]


def monta_spec(seed: int, *, burst_429: bool = False, blackout: bool = False) -> dict[str, Any]:
    """`PUT /_emulator/faults` body for the Monta emulator (the first matching rule fires).

    During a 429 burst every throttled operation answers 429 until the driver lifts it.
    """
    http: list[dict[str, Any]] = []
    if burst_429:
        http += [{"operation": op, "kind": "429"} for op in THROTTLED_OPERATIONS]
    http += STEP_FAULTS_MONTA
    for op in ("start-charge", "stop-charge"):
        http.append(
            {
                "operation": op,
                "kind": "commit_then_drop",
                "rate": p.MONTA_COMMIT_DROP_RATE,
                "delay_s": p.RESPONSE_HOLD_S,
            }
        )
    http.append({"operation": "*", "kind": "5xx", "rate": p.MONTA_5XX_RATE})
    webhooks = {
        "enabled": True,
        "drop_rate": 1.0 if blackout else p.WEBHOOK_DROP_RATE,
        "duplicate_rate": p.WEBHOOK_DUPLICATE_RATE,
        "reorder": True,
        "delay_s": 0.0,
    }
    return {"seed": seed, "http": http, "webhooks": webhooks}


def acquirer_spec(seed: int) -> dict[str, Any]:
    rules = [
        *STEP_FAULTS_ACQUIRER,
        {
            "operation": "*",
            "kind": "timeout_after_commit",
            "rate": p.ACQUIRER_TIMEOUT_AFTER_COMMIT_RATE,
            "delay_s": p.RESPONSE_HOLD_S,
        },
        {"operation": "*", "kind": "5xx", "rate": p.ACQUIRER_5XX_RATE},
    ]
    return {"seed": seed, "rules": rules}


def _every(rng: random.Random, span: tuple[float, float], end: float) -> list[float]:
    times, t = [], rng.uniform(*span)
    while t < end:
        times.append(round(t, 2))
        t += rng.uniform(*span)
    return times


def build_schedule(params: ChaosParams) -> list[FaultEvent]:
    """Kinds: kill_worker, kill_api, restart_temporal, monta_faults (with a `burst_429_s`
    or a `blackout` flip: state the driver keeps), acquirer_faults, clear_faults."""
    rng = random.Random(f"faults-{params.seed}")
    end = params.fault_window_s

    def monta(t: float, **state: Any) -> FaultEvent:
        return FaultEvent(round(t, 2), "monta_faults", {"seed": rng.randrange(2**31), **state})

    events = [
        monta(0.0),
        FaultEvent(0.0, "acquirer_faults", {"spec": acquirer_spec(rng.randrange(2**31))}),
    ]
    for t in _every(rng, params.worker_kill_every_s, end):
        events.append(FaultEvent(t, "kill_worker", {"down_s": round(rng.uniform(0.0, 2.0), 2)}))
    for t in _every(rng, params.api_kill_every_s, end):
        events.append(FaultEvent(t, "kill_api", {"down_s": round(rng.uniform(0.0, 2.0), 2)}))
    for t in _every(rng, params.burst_429_every_s, end):
        events.append(monta(t, burst_429_s=round(rng.uniform(2.0, 6.0), 2)))
    blackout_at = rng.uniform(0.2, 0.7) * (end - params.blackout_s)
    events.append(monta(blackout_at, blackout=True))
    events.append(monta(blackout_at + params.blackout_s, blackout=False))
    events.append(FaultEvent(round(params.temporal_restart_at * end, 2), "restart_temporal"))
    events.append(FaultEvent(end, "clear_faults"))
    return sorted(events, key=lambda e: e.at_s)
