"""One clock: every duration is a real-world duration divided by TIME_SCALE on the wall.

Emulators advance their physics by `real_seconds(wall_elapsed)`; chargepay's timers sleep
`wall_seconds(real_duration)`. Timestamps everyone reports are wall-clock instants, so an
expiry instant from the acquirer and a workflow timer agree under any scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Clock:
    scale: float = 1.0

    def wall_seconds(self, real_seconds: float) -> float:
        """How long a real-world duration lasts on the wall at this scale."""
        return real_seconds / self.scale

    def wall(self, real_seconds: float) -> timedelta:
        return timedelta(seconds=self.wall_seconds(real_seconds))

    def real_seconds(self, wall_seconds: float) -> float:
        """How much real-world time a stretch of wall-clock time stands for."""
        return wall_seconds * self.scale

    def real_hours(self, wall_seconds: float) -> float:
        return self.real_seconds(wall_seconds) / 3600.0
