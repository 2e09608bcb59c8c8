"""The acquirer emulator's knobs, from the environment (see README.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class EmulatorConfig:
    time_scale: float = 1.0
    hold_expiry_s: float = 48 * 3600.0  # card-present, real-world seconds
    cnp_hold_expiry_s: float = 7 * 24 * 3600.0  # card-not-present, real-world seconds
    seed: int | None = None

    @classmethod
    def from_env(cls) -> EmulatorConfig:
        seed = os.environ.get("PAYMENTS_EMU_SEED_RNG")
        config = cls(
            time_scale=float(os.environ.get("TIME_SCALE", "1.0")),
            hold_expiry_s=float(os.environ.get("PAYMENTS_EMU_HOLD_EXPIRY_S", "172800")),
            cnp_hold_expiry_s=float(os.environ.get("PAYMENTS_EMU_CNP_HOLD_EXPIRY_S", "604800")),
            seed=int(seed) if seed else None,
        )
        if config.time_scale <= 0:
            raise ValueError("TIME_SCALE must be > 0")
        return config

    def wall_expiry_s(self, card_present: bool) -> float:
        """A hold's lifetime on the wall clock: real-world seconds / TIME_SCALE."""
        real = self.hold_expiry_s if card_present else self.cnp_hold_expiry_s
        return real / self.time_scale
