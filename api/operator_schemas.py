"""Request bodies of the operator routes (OpenAPI shows these)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import MAX_AMOUNT_MINOR
from core.money import Money
from workflows.operator_actions import ActionKind, OperatorAction


class ActionAmount(Money):
    """What `capture` takes: positive, in minor units of the hold's currency."""

    amount_minor: int = Field(gt=0, le=MAX_AMOUNT_MINOR)
    currency: str = Field(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")


class OperatorActionBody(BaseModel):
    """`OperatorAction` minus who acts: that comes from the key, never from the body."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: ActionKind
    request_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="The caller's idempotency key: the same id again is answered, not redone.",
    )
    reason: str = Field(min_length=1, max_length=500, description="Recorded in the history.")
    amount: ActionAmount | None = Field(default=None, description="`capture` only.")

    def to_action(self, operator_user: str) -> OperatorAction:
        return OperatorAction(
            action=self.action,
            request_id=self.request_id,
            operator_user=operator_user,
            reason=self.reason,
            amount=Money(**self.amount.model_dump()) if self.amount else None,
        )
