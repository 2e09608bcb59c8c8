"""Fixed-window quota per credential, with Monta's RateLimit-* headers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Window:
    start: float = 0.0
    used: int = 0
    count_429: int = 0


@dataclass
class RateLimiter:
    limit: int
    window_real_s: float
    time_scale: float
    windows: dict[str, Window] = field(default_factory=dict)

    @property
    def window_wall(self) -> float:
        return self.window_real_s / self.time_scale

    def _window(self, key: str, now: float) -> Window:
        start = math.floor(now / self.window_wall) * self.window_wall
        w = self.windows.setdefault(key, Window(start))
        if w.start != start:
            w.start, w.used = start, 0
        return w

    def hit(self, key: str, now: float) -> tuple[bool, dict[str, str]]:
        """Count one request; (allowed, headers). Durations in headers are real-world s."""
        w = self._window(key, now)
        allowed = w.used < self.limit
        if allowed:
            w.used += 1
        else:
            w.count_429 += 1
        return allowed, self.headers(key, now)

    def resets_in(self, key: str, now: float) -> int:
        w = self._window(key, now)
        return max(0, math.ceil((w.start + self.window_wall - now) * self.time_scale))

    def headers(self, key: str, now: float, policy: str = "Quota") -> dict[str, str]:
        w = self._window(key, now)
        return {
            "RateLimit-Policy": policy,
            "RateLimit-Quota": str(self.limit),
            "RateLimit-TimeWindow": str(int(self.window_real_s)),
            "RateLimit-Remaining": str(max(0, self.limit - w.used)),
            "RateLimit-ResetsIn": str(self.resets_in(key, now)),
        }

    def exceeded_context(self, key: str, now: float) -> dict[str, Any]:
        w = self._window(key, now)
        return {
            "rateLimitResponse": {
                "timeWindow": int(self.window_real_s),
                "quota": self.limit,
                "remaining": max(0, self.limit - w.used),
                "resetsIn": self.resets_in(key, now),
                "exceeded": True,
            }
        }

    def truth(self) -> dict[str, dict[str, Any]]:
        return {
            k: {
                "window_start": w.start,
                "used": w.used,
                "limit": self.limit,
                "count_429": w.count_429,
            }
            for k, w in self.windows.items()
        }
