"""What an operator may do to a flagged session (workflows/operator_actions.py)."""

from __future__ import annotations

import pytest

from core.money import Money
from workflows.operator_actions import ActionFacts, ActionRefused, OperatorAction, check_action

HOLD = Money(amount_minor=5000, currency="EUR")
WAITING = ActionFacts(
    waiting_for_operator=True, authorized=HOLD, energy_may_flow=False, has_settled_price=True
)


def _act(action: str, amount: Money | None = None) -> OperatorAction:
    return OperatorAction.model_validate(
        {
            "action": action,
            "request_id": "r1",
            "operator_user": "alice",
            "reason": "customer called",
            "amount": amount,
        }
    )


def _refusal(action: OperatorAction, facts: ActionFacts = WAITING) -> str:
    with pytest.raises(ActionRefused) as info:
        check_action(action, facts)
    return info.value.code


def test_every_action_is_allowed_on_a_session_waiting_for_an_operator() -> None:
    for kind in ("retry_capture", "void", "write_off", "resolve"):
        check_action(_act(kind), WAITING)
    check_action(_act("capture", Money(amount_minor=5000, currency="EUR")), WAITING)


def test_nothing_is_allowed_on_a_session_that_is_not_waiting() -> None:
    busy = WAITING.model_copy(update={"waiting_for_operator": False})
    assert _refusal(_act("void"), busy) == "not_waiting"


def test_a_capture_never_exceeds_the_hold_nor_changes_currency() -> None:
    assert _refusal(_act("capture", Money(amount_minor=5001, currency="EUR"))) == (
        "amount_above_hold"
    )
    assert _refusal(_act("capture", Money(amount_minor=0, currency="EUR"))) == "amount_above_hold"
    assert _refusal(_act("capture", Money(amount_minor=100, currency="DKK"))) == (
        "currency_mismatch"
    )
    assert _refusal(_act("capture")) == "amount_required"
    assert _refusal(_act("void", Money(amount_minor=1, currency="EUR"))) == "amount_not_allowed"


def test_no_void_or_write_off_while_energy_may_flow() -> None:
    flowing = WAITING.model_copy(update={"energy_may_flow": True})
    assert _refusal(_act("void"), flowing) == "energy_may_flow"
    assert _refusal(_act("write_off"), flowing) == "energy_may_flow"
    check_action(_act("retry_capture"), flowing)


def test_retry_capture_needs_a_settled_price() -> None:
    unsettled = WAITING.model_copy(update={"has_settled_price": False})
    assert _refusal(_act("retry_capture"), unsettled) == "nothing_to_capture"
