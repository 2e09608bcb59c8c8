"""Fault injection for chargepay-side calls, set through `PUT /_emulator/faults`.

A rule matches an operation (or "*"); it lets the first `skip` matching calls through,
then fires with probability `rate` (default 1) and at most `count` times (default
unlimited). Delays are wall-clock seconds (network time is not scaled by TIME_SCALE).
"""

from __future__ import annotations

import random
from typing import Any, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

# `list` is reconciliation's read of every hold (GET /v1/authorizations).
Operation = Literal["verify", "authorize", "capture", "void", "increment", "refund", "list", "*"]
FaultKind = Literal[
    "timeout_before_commit",
    "timeout_after_commit",
    "timeout_then_commit",
    "5xx",
    "4xx",
    "slow",
]

DEFAULT_DELAY_S: dict[str, float] = {
    "timeout_before_commit": 30.0,
    "timeout_after_commit": 30.0,
    "timeout_then_commit": 30.0,
    "slow": 2.0,
    "5xx": 0.0,
    "4xx": 0.0,
}
STATUS_RANGE = {"4xx": (400, 499), "5xx": (500, 599)}
DEFAULT_STATUS = {"4xx": 400, "5xx": 503}
# The error types the acquirer itself answers these statuses with.
DEFAULT_ERROR_TYPE = {
    400: "invalid_request",
    402: "card_declined",
    404: "authorization_not_found",
    409: "already_captured",
    410: "authorization_expired",
    422: "amount_above_authorized",
}


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operation: Operation
    kind: FaultKind
    rate: float = Field(default=1.0, ge=0.0, le=1.0)
    count: int | None = Field(default=None, ge=0)
    # The first `skip` matching calls go through before this rule may fire, so a test can
    # fault exactly the N-th call of an operation.
    skip: int = Field(default=0, ge=0)
    delay_s: float | None = Field(default=None, ge=0.0, le=600.0)
    status: int | None = None  # kinds 4xx (default 400) / 5xx (default 503)
    error_type: str | None = Field(default=None, min_length=1)  # kinds 4xx / 5xx: error.type

    @model_validator(mode="after")
    def _status_fits_kind(self) -> Self:
        span = STATUS_RANGE.get(self.kind)
        if span is None:
            if self.status is not None or self.error_type is not None:
                raise ValueError(f"status/error_type apply to kinds 4xx and 5xx, not {self.kind}")
            return self
        if self.status is None:
            self.status = DEFAULT_STATUS[self.kind]
        if not span[0] <= self.status <= span[1]:
            raise ValueError(f"kind {self.kind} needs a status in {span[0]}..{span[1]}")
        if self.error_type is None:
            default = "acquirer_unavailable" if self.kind == "5xx" else "invalid_request"
            self.error_type = DEFAULT_ERROR_TYPE.get(self.status, default)
        return self

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
        self.matched = [0] * len(config.rules)
        self.seen = {op: 0 for op in get_args(Operation) if op != "*"}

    def pick(self, operation: str) -> FaultRule | None:
        """The first rule that fires for this call, counting it.

        Every rule for the operation counts the call towards its `skip`, even when an
        earlier rule fires: `skip: n` then means "from the operation's (n+1)-th call on",
        whatever other rules do. `rate` is drawn only for rules reached before one fires,
        so a seed replays the same faults.
        """
        self.seen[operation] = self.seen.get(operation, 0) + 1
        chosen: FaultRule | None = None
        for i, rule in enumerate(self.config.rules):
            if rule.operation not in ("*", operation):
                continue
            self.matched[i] += 1
            if chosen is not None or self.matched[i] <= rule.skip:
                continue
            if rule.count is not None and self.fired[i] >= rule.count:
                continue
            if rule.rate < 1.0 and self._rng.random() >= rule.rate:
                continue
            self.fired[i] += 1
            chosen = rule
        return chosen

    def describe(self) -> dict[str, Any]:
        rules = [
            {**rule.model_dump(), "matched": matched, "fired": fired}
            for rule, matched, fired in zip(
                self.config.rules, self.matched, self.fired, strict=True
            )
        ]
        return {"seed": self.config.seed, "rules": rules, "calls": dict(self.seen)}
