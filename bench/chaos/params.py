"""The knobs of one chaos run (full or quick), and the deadline a session gets to finish.

Wall seconds unless a name says `real`: the emulators and chargepay run TIME_SCALE times
faster than the real world, but process kills, network faults and the webhook blackout are
wall-clock events.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from settings import Settings

# Monta emulator fault rates (issue #7): 10 % 5xx, 5 % commit-then-drop on start and stop,
# 30 % of webhook entries dropped, some duplicated, batches reordered.
MONTA_5XX_RATE = 0.10
MONTA_COMMIT_DROP_RATE = 0.05
WEBHOOK_DROP_RATE = 0.30
WEBHOOK_DUPLICATE_RATE = 0.10
# Acquirer: 10 % timeouts after the money moved, 5 % 5xx.
ACQUIRER_TIMEOUT_AFTER_COMMIT_RATE = 0.10
ACQUIRER_5XX_RATE = 0.05
# Hold a faulty answer longer than chargepay's HTTP timeout (10 s) so the caller times out
# with the work done, and shorter than the activity's start-to-close (30 s).
RESPONSE_HOLD_S = 12.0
# Step-targeted faults (the kinds the fault matrix proves cell by cell, tests/faults/),
# here at random steps of many sessions at once: a start that commits after its request
# timed out, a failed lookup, a refused stop or receipt, a capture or void that commits
# late. Each must resolve by itself: no session may need an operator.
STEP_FAULT_RATE = 0.05


@dataclass(frozen=True)
class ChaosParams:
    seed: int
    mode: str  # "full" | "quick"
    sessions: int
    time_scale: float
    launch_window_s: float  # sessions start spread over this
    fault_window_s: float  # process kills and emulator faults run this long
    worker_kill_every_s: tuple[float, float]
    api_kill_every_s: tuple[float, float]
    burst_429_every_s: tuple[float, float]
    temporal_restart_at: float  # fraction of the fault window
    blackout_s: float  # every webhook entry dropped for this long
    terminal_timeout_s: float = 15.0  # a terminal's HTTP timeout; it retries after it
    settle_timeout_real_s: float = 6 * 3600.0
    capture_margin_real_s: float = 3600.0

    @property
    def stuck_deadline_s(self) -> float:
        """How long after the faults stop every session must be final (wall seconds).

        The longest session timer (settle timeout: `stopped` -> `completed` at the latest)
        plus the capture margin, at the run's time scale.
        """
        return (self.settle_timeout_real_s + self.capture_margin_real_s) / self.time_scale

    @property
    def stem(self) -> str:
        """File name stem of this run's outputs: chaos-<seed> (full), chaos-quick-<seed>."""
        return f"chaos-{self.seed}" if self.mode == "full" else f"chaos-{self.mode}-{self.seed}"

    def describe(self) -> dict[str, Any]:
        data = asdict(self)
        data["stuck_deadline_s"] = round(self.stuck_deadline_s, 1)
        data["stuck_deadline_rule"] = (
            "(settle_timeout_s + capture_margin_s) / time_scale after the faults stop"
        )
        return data


def _from_settings(params: ChaosParams) -> ChaosParams:
    s = Settings()
    return replace(
        params,
        settle_timeout_real_s=s.settle_timeout_s,
        capture_margin_real_s=s.capture_margin_s,
    )


def full(seed: int, sessions: int | None = None) -> ChaosParams:
    return _from_settings(
        ChaosParams(
            seed=seed,
            mode="full",
            sessions=sessions or 300,
            time_scale=300.0,
            launch_window_s=420.0,
            fault_window_s=480.0,
            worker_kill_every_s=(10.0, 20.0),
            api_kill_every_s=(20.0, 40.0),
            burst_429_every_s=(30.0, 60.0),
            temporal_restart_at=0.45,
            blackout_s=60.0,
        )
    )


def quick(seed: int, sessions: int | None = None) -> ChaosParams:
    """Under 10 minutes on 2 cores with start-up: shorter windows, a 20 s blackout."""
    return _from_settings(
        ChaosParams(
            seed=seed,
            mode="quick",
            sessions=sessions or 60,
            time_scale=300.0,
            launch_window_s=150.0,
            fault_window_s=200.0,
            worker_kill_every_s=(10.0, 20.0),
            api_kill_every_s=(20.0, 40.0),
            burst_429_every_s=(25.0, 45.0),
            temporal_restart_at=0.45,
            blackout_s=20.0,
        )
    )


def with_window(params: ChaosParams, fault_window_s: float) -> ChaosParams:
    """A shorter (or longer) run: sessions start in the first 3/4 of the fault window."""
    return replace(
        params,
        fault_window_s=fault_window_s,
        launch_window_s=0.75 * fault_window_s,
        blackout_s=min(params.blackout_s, fault_window_s / 5),
    )
