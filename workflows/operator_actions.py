"""What an operator may do to a flagged session, and when (pure; the session applies it).

A session that cannot settle on its own (a capture the acquirer keeps refusing, a start
whose outcome stays unknown) keeps its hold and waits, flagged, instead of ending with the
hold open. An operator then acts through the `operator_action` update: the request is
recorded in the session's history with who asked and why, and the session carries it out
like any of its own steps, so the money invariants hold for operators too:
- `retry_capture`: capture the settled amount again;
- `capture`: capture a given amount, never above the hold;
- `void`: release the hold, only while no energy may flow (no charge, or it has ended);
- `write_off`: release the hold and record the whole price as uncollected;
- `resolve`: the operator settled it outside chargepay (e.g. in the acquirer's console);
  the session ends with the hold as the operator left it, and says so.
Each request carries a `request_id`: the same id again is answered, not applied twice.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.card_data import TextWithoutCardNumber
from core.money import Money

UPDATE_OPERATOR_ACTION = "operator_action"

ActionKind = Literal["retry_capture", "capture", "void", "write_off", "resolve"]


class OperatorAction(BaseModel):
    model_config = ConfigDict(frozen=True)

    action: ActionKind
    request_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    operator_user: str = Field(min_length=1, max_length=64)  # from the credential, not the body
    reason: TextWithoutCardNumber = Field(min_length=1, max_length=500)
    amount: Money | None = None  # `capture` only


class ActionRefused(ValueError):
    """The action is not allowed now; `code` is machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ActionFacts(BaseModel):
    """What the session knows when an action arrives."""

    model_config = ConfigDict(frozen=True)

    waiting_for_operator: bool  # flagged and holding its hold, nothing running
    authorized: Money | None
    energy_may_flow: bool  # a Monta charge exists and is not known to have ended
    has_settled_price: bool


def check_action(action: OperatorAction, facts: ActionFacts) -> None:
    """Raise ActionRefused unless `action` keeps every money invariant."""
    if not facts.waiting_for_operator:
        raise ActionRefused("not_waiting", "the session is not waiting for an operator")
    if facts.authorized is None and action.action != "resolve":
        raise ActionRefused("no_hold", "the session holds no authorization")
    if action.action == "capture":
        if action.amount is None:
            raise ActionRefused("amount_required", "capture needs an amount")
        auth = facts.authorized
        assert auth is not None
        if action.amount.currency != auth.currency:
            raise ActionRefused("currency_mismatch", f"the hold is in {auth.currency}")
        if not 0 < action.amount.amount_minor <= auth.amount_minor:
            raise ActionRefused("amount_above_hold", f"capture at most {auth}")
    elif action.amount is not None:
        raise ActionRefused("amount_not_allowed", f"{action.action} takes no amount")
    if action.action in ("void", "write_off") and facts.energy_may_flow:
        raise ActionRefused("energy_may_flow", "the charge may still deliver energy: stop it")
    if action.action == "retry_capture" and not facts.has_settled_price:
        raise ActionRefused("nothing_to_capture", "the session has no settled price")
