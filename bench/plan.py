"""What a run measures: time scale, Monta cadences and the phases of `--quick` / `--tiny`
(the full run's parts are bench/parts.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class OpenPhase:
    """N sessions started together and charged to budget: latency, overshoot, money, RSS."""

    name: str
    sessions: int
    mix: dict[str, float]  # kind -> share of sessions ("ac" 11 kW, "dc" 50 kW)
    charge_minutes: float = 60.0  # emulated charging time the hold buys
    ingest: bool = True  # measure webhook ingest vs raw signals on these open sessions


@dataclass(frozen=True)
class Plan:
    mode: str
    time_scale: float
    meter_interval_s: float = 30.0  # emulated seconds between Monta meter readings
    webhook_interval_s: float = 2.0  # Monta's batch cadence, emulated seconds
    open_phases: tuple[OpenPhase, ...] = ()
    throughput_sessions: int = 120
    throughput_concurrency: int = 40
    throughput_kwh: Decimal = Decimal("1.2")  # DC, short charges: the system is the limit
    start_concurrency: int = 16  # terminals starting sessions at once
    floor_rate: float = 5.0  # floor probe signals per second
    ingest_sinks: int = 100  # bare workflows the ingest entries name (at most the open count)
    ingest_leg_s: float = 5.0  # each of webhook, raw, raw, webhook: >= 10 s per side
    ingest_batches_in_flight: int = 4
    history_sample: int = 20
    # The production shape (deploy/): two API replicas behind nginx and two chargepay
    # worker processes; the bare side runs as many worker processes (`--workers N`).
    worker_processes: int = 2
    api_processes: int = 2
    phase_timeout_s: float = 600.0  # bound on waiting for a phase's sessions to end
    # Incremental authorization and idle fees on (bench/features.py)
    features: bool = False
    session_timeout_s: float = 60.0  # bound on one throughput session
    notes: list[str] = field(default_factory=list)

    @property
    def max_points(self) -> int:
        sizes = [p.sessions for p in self.open_phases] + [self.throughput_concurrency]
        return max(sizes)

    def describe(self) -> dict[str, Any]:
        d = asdict(self)
        d["throughput_kwh"] = str(self.throughput_kwh)
        d["webhook_interval_wall_s"] = max(0.05, self.webhook_interval_s / self.time_scale)
        d["meter_interval_wall_s"] = self.meter_interval_s / self.time_scale
        d["one_hour_charge_wall_s"] = 3600 / self.time_scale
        return d


MIX = {"ac": 0.5, "dc": 0.5}


# With features on, the cars of the open phase stay plugged in up to 40 emulated minutes
# after their charge (bench/features.py): 80 s more on the wall at 30x.
FEATURES_PHASE_TIMEOUT_S = 120.0


def with_features(plan: Plan) -> Plan:
    return replace(
        plan,
        mode=f"{plan.mode}-features",
        features=True,
        phase_timeout_s=plan.phase_timeout_s + FEATURES_PHASE_TIMEOUT_S,
    )


def quick() -> Plan:
    """100 open sessions (half AC, half DC), one-hour charges at 30x, the scale the issue
    judges stop p99 at: under 10 min on 2 cores."""
    return Plan(
        mode="quick",
        time_scale=30.0,
        open_phases=(OpenPhase("open-100-mix", 100, MIX),),
        # Two passes of 100 at once per loop: the 10-minute bound holds on a shared machine
        # whose other users double the run's wall time.
        throughput_sessions=200,
        throughput_concurrency=100,
        phase_timeout_s=240.0,
    )


def tiny() -> Plan:
    """A few sessions through every part of a run, for the harness's own test: no figure of
    it means anything."""
    return Plan(
        mode="tiny",
        time_scale=60.0,
        open_phases=(OpenPhase("open-4-mix", 4, MIX, charge_minutes=20.0),),
        throughput_sessions=6,
        throughput_concurrency=3,
        ingest_sinks=4,
        ingest_leg_s=1.0,
        history_sample=2,
        phase_timeout_s=120.0,
    )
