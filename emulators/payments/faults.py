"""Fault injection for chargepay-side calls, set through `PUT /_emulator/faults`.

A rule matches an operation (or "*"); it fires with probability `rate` (default 1) and at
most `count` times (default unlimited). Delays are wall-clock seconds (network time is not
scaled by TIME_SCALE).
"""

from __future__ import annotations

import random
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Operation = Literal["verify", "authorize", "capture", "void", "increment", "*"]
FaultKind = Literal["timeout_before_commit", "timeout_after_commit", "5xx", "slow"]

DEFAULT_DELAY_S: dict[str, float] = {
    "timeout_before_commit": 30.0,
    "timeout_after_commit": 30.0,
    "slow": 2.0,
    "5xx": 0.0,
}


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operation: Operation
    kind: FaultKind
    rate: float = Field(default=1.0, ge=0.0, le=1.0)
    count: int | None = Field(default=None, ge=0)
    delay_s: float | None = Field(default=None, ge=0.0, le=600.0)
    status: int = Field(default=503, ge=500, le=599)  # for kind "5xx"

    @property
    def delay(self) -> float:
        return self.delay_s if self.delay_s is not None else DEFAULT_DELAY_S[self.kind]


class FaultConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int | None = None
    rules: list[FaultRule] = Field(default_factory=list)


class FaultInjector:
    def __init__(self, seed: int | None = None) -> None:
        self.configure(FaultConfig(seed=seed))

    def configure(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self.fired = [0] * len(config.rules)
        self.seen = {op: 0 for op in ("verify", "authorize", "capture", "void", "increment")}

    def pick(self, operation: str) -> FaultRule | None:
        """The first rule that fires for this call, counting it."""
        self.seen[operation] = self.seen.get(operation, 0) + 1
        for i, rule in enumerate(self.config.rules):
            if rule.operation not in ("*", operation):
                continue
            if rule.count is not None and self.fired[i] >= rule.count:
                continue
            if rule.rate < 1.0 and self._rng.random() >= rule.rate:
                continue
            self.fired[i] += 1
            return rule
        return None

    def describe(self) -> dict[str, Any]:
        rules = [
            {**rule.model_dump(), "fired": fired}
            for rule, fired in zip(self.config.rules, self.fired, strict=True)
        ]
        return {"seed": self.config.seed, "rules": rules, "calls": dict(self.seen)}
