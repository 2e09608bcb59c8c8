"""Fault injection: HTTP faults per operationId and webhook delivery faults, seeded RNG."""

from __future__ import annotations

import random
from collections import Counter
from http import HTTPStatus
from typing import Any, Literal, Self

from pydantic import BaseModel, Field, model_validator

HttpKind = Literal[
    "5xx", "4xx", "timeout", "commit_then_drop", "timeout_then_commit", "slow", "429"
]
DEFAULT_DELAY_S = {
    "timeout": 30.0,
    "commit_then_drop": 30.0,
    "timeout_then_commit": 30.0,
    "slow": 2.0,
}
STATUS_RANGE = {"4xx": (400, 499), "5xx": (500, 599)}
DEFAULT_STATUS = {"4xx": 400, "5xx": 500}
# The codes the emulator itself answers with; other statuses get their HTTP name.
DEFAULT_ERROR_CODE = {
    400: "BAD_REQUEST",
    403: "ACCESS_FORBIDDEN",
    404: "RESOURCE_NOT_FOUND",
    500: "INTERNAL_SERVER_ERROR",
}


class HttpFault(BaseModel):
    operation: str  # an operationId, or "*"
    kind: HttpKind
    rate: float | None = Field(default=None, ge=0, le=1)
    count: int | None = Field(default=None, ge=0)
    # The first `skip` matching calls go through before this rule may fire, so a test can
    # fault exactly the N-th call of an operation (e.g. the second start of a session).
    skip: int = Field(default=0, ge=0)
    delay_s: float | None = Field(default=None, ge=0)  # wall seconds
    status: int | None = None  # kinds 4xx / 5xx: the HTTP status answered
    error_code: str | None = Field(default=None, min_length=1)  # kinds 4xx / 5xx: `errorCode`

    @model_validator(mode="after")
    def _status_fits_kind(self) -> Self:
        span = STATUS_RANGE.get(self.kind)
        if span is None:
            if self.status is not None or self.error_code is not None:
                raise ValueError(f"status/error_code apply to kinds 4xx and 5xx, not {self.kind}")
            return self
        if self.status is None:
            self.status = DEFAULT_STATUS[self.kind]
        if not span[0] <= self.status <= span[1]:
            raise ValueError(f"kind {self.kind} needs a status in {span[0]}..{span[1]}")
        if self.status == 429:
            raise ValueError("use kind 429 for rate limiting: it carries the rate-limit context")
        if self.error_code is None:
            self.error_code = DEFAULT_ERROR_CODE.get(self.status, HTTPStatus(self.status).name)
        return self

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
        self._matched: list[int] = []
        self._fired: list[int] = []

    def set(self, spec: FaultSpec) -> None:
        if spec.seed is not None:
            self.rng.seed(spec.seed)
        self.spec = spec
        self._matched = [0] * len(spec.http)
        self._fired = [0] * len(spec.http)

    def match(self, operation: str | None) -> HttpFault | None:
        """The first rule that fires for this request.

        Every rule for the operation counts the call towards its `skip`, even when an
        earlier rule fires: `skip: n` then means "from the operation's (n+1)-th call on",
        whatever other rules do. `rate` is drawn only for rules reached before one fires,
        so a seed replays the same faults.
        """
        if operation is None:
            return None
        chosen: HttpFault | None = None
        for i, f in enumerate(self.spec.http):
            if f.operation not in (operation, "*"):
                continue
            self._matched[i] += 1
            if chosen is not None or self._matched[i] <= f.skip:
                continue
            if f.count is not None and self._fired[i] >= f.count:
                continue
            if f.count is None and f.rate is not None and self.rng.random() >= f.rate:
                continue
            self._fired[i] += 1
            self.fired[f"{operation}:{f.kind}"] += 1
            chosen = f
        return chosen

    def chance(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate

    def webhook(self) -> WebhookFaults | None:
        return self.spec.webhooks if self.spec.webhooks.enabled else None

    def view(self) -> dict[str, Any]:
        """The rules with what is left of each `count`, and how often each matched and fired."""
        rules = [
            {
                **f.model_dump(),
                "count": None if f.count is None else f.count - fired,
                "matched": matched,
                "fired": fired,
            }
            for f, matched, fired in zip(self.spec.http, self._matched, self._fired, strict=True)
        ]
        return {**self.spec.model_dump(), "http": rules, "fired": dict(self.fired)}
