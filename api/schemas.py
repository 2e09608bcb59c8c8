"""Request and response bodies of the public HTTP API, terminals' and operators' routes
(OpenAPI shows these): the one home of the API's wire format."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.card_data import PAYMENT_TOKEN_PATTERN, CardBrand, TextWithoutCardNumber
from core.money import Money
from workflows.contracts import SessionStateName
from workflows.operator_actions import ActionKind, OperatorAction

ID_PATTERN = r"^[A-Za-z0-9_.:]{1,64}$"
MAX_AMOUNT_MINOR = 1_000_000_00  # a card hold above a million major units is a typo


class HoldAmount(Money):
    """The hold: positive, and below an amount that can only be a typo."""

    amount_minor: int = Field(gt=0, le=MAX_AMOUNT_MINOR)
    currency: str = Field(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")


class StartSessionBody(BaseModel):
    """`SessionRequest` minus what the key implies (operator, terminal) and the config."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        # What `_one_payment_source` checks, said in the schema so clients (and fuzzers)
        # see it: exactly one of the two payment sources.
        json_schema_extra={
            "oneOf": [{"required": ["authorization_ref"]}, {"required": ["payment_token"]}]
        },
    )

    terminal_transaction_id: str = Field(
        pattern=ID_PATTERN, description="The terminal's idempotency key for this payment."
    )
    charge_point_id: int = Field(gt=0, le=2**53)
    paying_team_id: int | None = Field(
        default=None, gt=0, le=2**53, description="Default: the operator's paying team."
    )
    amount: HoldAmount = Field(description="The hold, in minor units of its currency.")
    card_brand: CardBrand | None = Field(default=None, description="The card's scheme.")
    card_last4: str | None = Field(default=None, pattern=r"^[0-9]{4}$")
    authorization_ref: str | None = Field(
        default=None, min_length=1, max_length=255, description="The hold the terminal placed."
    )
    payment_token: str | None = Field(
        default=None,
        pattern=PAYMENT_TOKEN_PATTERN,
        description="Or a vault token to authorize (`tok_…`, `pm_…`), never a card number.",
    )

    @model_validator(mode="after")
    def _one_payment_source(self) -> StartSessionBody:
        if (self.authorization_ref is None) == (self.payment_token is None):
            raise ValueError("give exactly one of authorization_ref or payment_token")
        return self

    def digest(self) -> str:
        """Idempotency fingerprint: the same transaction id must come with the same body."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class SessionAccepted(BaseModel):
    """202: the start is under way but took longer than the API waits; poll `status_url`."""

    session_id: str
    state: str = "pending"
    status_url: str


class StopBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: TextWithoutCardNumber = Field(default="terminal", min_length=1, max_length=200)


class SessionSummary(BaseModel):
    """One row of the list, from Temporal visibility (no query to the workflow)."""

    session_id: str
    state: str | None
    operator: str | None
    terminal_id: str | None
    charge_point_id: int | None
    charge_id: int | None
    card_last4: str | None
    attention: str | None
    workflow_status: str | None
    started_at: datetime
    closed_at: datetime | None


class SessionPage(BaseModel):
    sessions: list[SessionSummary]
    next_page_token: str | None = None


StateFilter = SessionStateName


# ---------------------------------------------------------------- operators' routes
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
    reason: TextWithoutCardNumber = Field(
        min_length=1, max_length=500, description="Recorded in the history: no card numbers."
    )
    amount: ActionAmount | None = Field(default=None, description="`capture` only.")

    def to_action(self, operator_user: str) -> OperatorAction:
        return OperatorAction(
            action=self.action,
            request_id=self.request_id,
            operator_user=operator_user,
            reason=self.reason,
            amount=Money(**self.amount.model_dump()) if self.amount else None,
        )
