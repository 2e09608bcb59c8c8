"""Emulator settings from the environment. Every duration is in real-world seconds."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.clock import Clock

_DEFAULT_SEED = Path(__file__).with_name("seed.json")


def _f(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass(frozen=True)
class EmuConfig:
    time_scale: float = 1.0
    seed_path: Path = _DEFAULT_SEED
    meter_interval_s: float = 30.0
    webhook_interval_s: float = 2.0
    token_ttl_s: float = 3600.0
    refresh_ttl_s: float = 86400.0
    rate_limit: int = 1000
    rate_window_s: float = 600.0
    plug_delay_s: float = 20.0
    plug_timeout_s: float = 120.0
    stop_delay_s: float = 5.0
    complete_delay_s: float = 30.0
    webhook_max_age_s: float = 86400.0
    webhook_batch_size: int = 100
    money_unit: Literal["major", "minor"] = "major"
    rng_seed: int = 0
    extra_points: int = 0  # extra available AC points per operator, for load tests

    @property
    def clock(self) -> Clock:
        return Clock(self.time_scale)

    def wall(self, real_seconds: float) -> float:
        return self.clock.wall_seconds(real_seconds)

    @classmethod
    def from_env(cls) -> EmuConfig:
        unit = os.environ.get("MONTA_EMU_MONEY_UNIT", "major").lower()
        return cls(
            time_scale=_f("TIME_SCALE", 1.0),
            seed_path=Path(os.environ.get("MONTA_EMU_SEED", str(_DEFAULT_SEED))),
            meter_interval_s=_f("MONTA_EMU_METER_INTERVAL_S", 30.0),
            webhook_interval_s=_f("MONTA_EMU_WEBHOOK_INTERVAL_S", 2.0),
            token_ttl_s=_f("MONTA_EMU_TOKEN_TTL_S", 3600.0),
            refresh_ttl_s=_f("MONTA_EMU_REFRESH_TTL_S", 86400.0),
            rate_limit=int(_f("MONTA_EMU_RATE_LIMIT", 1000)),
            rate_window_s=_f("MONTA_EMU_RATE_WINDOW_S", 600.0),
            plug_delay_s=_f("MONTA_EMU_PLUG_DELAY_S", 20.0),
            plug_timeout_s=_f("MONTA_EMU_PLUG_TIMEOUT_S", 120.0),
            stop_delay_s=_f("MONTA_EMU_STOP_DELAY_S", 5.0),
            complete_delay_s=_f("MONTA_EMU_COMPLETE_DELAY_S", 30.0),
            webhook_max_age_s=_f("MONTA_EMU_WEBHOOK_MAX_AGE_S", 86400.0),
            money_unit="minor" if unit == "minor" else "major",
            rng_seed=int(_f("MONTA_EMU_SEED_RNG", 0)),
            extra_points=int(_f("MONTA_EMU_EXTRA_POINTS", 0)),
        )
