"""Fault injection: HTTP faults per operationId and webhook delivery faults, seeded RNG."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, Field

HttpKind = Literal["5xx", "timeout", "commit_then_drop", "slow", "429"]
DEFAULT_DELAY_S = {"timeout": 30.0, "commit_then_drop": 30.0, "slow": 2.0}


class HttpFault(BaseModel):
    operation: str  # an operationId, or "*"
    kind: HttpKind
    rate: float | None = Field(default=None, ge=0, le=1)
    count: int | None = Field(default=None, ge=0)
    delay_s: float | None = Field(default=None, ge=0)  # wall seconds

    @property
    def delay(self) -> float:
        return self.delay_s if self.delay_s is not None else DEFAULT_DELAY_S.get(self.kind, 0.0)


class WebhookFaults(BaseModel):
    enabled: bool = False
    drop_rate: float = Field(default=0.0, ge=0, le=1)
    duplicate_rate: float = Field(default=0.0, ge=0, le=1)
    reorder: bool = False
    delay_s: float = Field(default=0.0, ge=0)  # wall seconds before an entry may go out


class FaultSpec(BaseModel):
    seed: int | None = None
    http: list[HttpFault] = Field(default_factory=list)
    webhooks: WebhookFaults = Field(default_factory=WebhookFaults)


class Faults:
    def __init__(self, rng_seed: int) -> None:
        self.rng = random.Random(rng_seed)
        self.spec = FaultSpec()
        self.fired: Counter[str] = Counter()

    def set(self, spec: FaultSpec) -> None:
        if spec.seed is not None:
            self.rng.seed(spec.seed)
        self.spec = spec

    def match(self, operation: str | None) -> HttpFault | None:
        """The first fault that fires for this request, consuming a `count` if it has one."""
        if operation is None:
            return None
        for f in self.spec.http:
            if f.operation not in (operation, "*"):
                continue
            if f.count is not None:
                if f.count == 0:
                    continue
                f.count -= 1
            elif f.rate is not None and self.rng.random() >= f.rate:
                continue
            self.fired[f"{operation}:{f.kind}"] += 1
            return f
        return None

    def chance(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate

    def webhook(self) -> WebhookFaults | None:
        return self.spec.webhooks if self.spec.webhooks.enabled else None

    def view(self) -> dict[str, Any]:
        return {**self.spec.model_dump(), "fired": dict(self.fired)}
