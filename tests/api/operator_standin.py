"""A stand-in session for the operator routes: flagged, holding 50 EUR, the charge maybe
still running, no settled price; `operator_action` is checked by check_action and refused
the way the session refuses (ApplicationError typed with the refusal code)."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from core.money import Money
    from workflows import contracts as c
    from workflows.contracts import SessionStatus
    from workflows.operator_actions import (
        UPDATE_OPERATOR_ACTION,
        ActionFacts,
        ActionRefused,
        OperatorAction,
        check_action,
    )

HOLD = Money(amount_minor=5000, currency="EUR")


@workflow.defn(name=c.SESSION_WORKFLOW)
class FlaggedStandIn:
    """Flagged, holding 50 EUR, the charge maybe still running, no settled price."""

    @workflow.init
    def __init__(self, session_id: str) -> None:
        self.status = SessionStatus(
            session_id=session_id,
            state="settling",
            operator="alpha",
            charge_point_id=101,
            terminal_id="T1",
            authorized=HOLD,
            attention="capture_refused",
        )
        self.done = False

    @workflow.run
    async def run(self, session_id: str) -> SessionStatus:
        await workflow.wait_condition(lambda: self.done)
        return self.status

    @workflow.query(name=c.QUERY_STATUS)
    def query_status(self) -> SessionStatus:
        return self.status

    @workflow.update(name=UPDATE_OPERATOR_ACTION)
    def operator_action(self, action: OperatorAction) -> SessionStatus:
        self.status = self.status.model_copy(
            update={"reason": f"{action.action} by {action.operator_user}: {action.reason}"}
        )
        self.done = action.action == "resolve"
        return self.status

    @operator_action.validator
    def check(self, action: OperatorAction) -> None:
        facts = ActionFacts(
            waiting_for_operator=True,
            authorized=HOLD,
            energy_may_flow=True,
            has_settled_price=False,
        )
        try:
            check_action(action, facts)
        except ActionRefused as exc:
            raise ApplicationError(str(exc), type=exc.code) from exc


@workflow.defn(name="NoOperatorHandler")
class NoHandler:
    @workflow.run
    async def run(self, session_id: str) -> None:
        await workflow.wait_condition(lambda: False)
