"""A tiny stand-in for ChargeSessionWorkflow (same name and handlers) for the API's own tests.

Its behaviour is chosen by the request so each API branch can be driven:
  authorization_ref "decline"  -> declined          charge point 106 -> start_failed
  amount below 100 minor       -> rejected           charge point 999 -> never accepted
  anything else                -> accepted (charge id = 7000 + charge point, 20 kWh budget),
                                  charging;
  request_stop ends it `completed`; charge_updated keeps the newest consumed kWh.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows import contracts as c
    from workflows.contracts import SessionRequest, SessionStatus
    from workflows.idempotency import MEMO_DIGEST, check_digest


STANDIN_KWH_BUDGET = Decimal(20)


@workflow.defn(name=c.SESSION_WORKFLOW)
class StandInSession:
    @workflow.init
    def __init__(self, request: SessionRequest) -> None:
        self.req = request
        self.state: c.SessionStateName = "pricing"
        self.charge_id: int | None = None
        self.kwh = Decimal(0)
        self.reason: str | None = None
        self.signals = 0

    @workflow.run
    async def run(self, request: SessionRequest) -> SessionStatus:
        await workflow.sleep(timedelta(milliseconds=50))
        if request.authorization_ref == "decline":
            self.state, self.reason = "declined", "do_not_honor"
        elif request.amount.amount_minor < 100:
            self.state, self.reason = "rejected", "budget_too_small"
        elif request.charge_point_id == 106:
            self.state, self.reason = "start_failed", "CHARGE_POINT_BUSY"
        elif request.charge_point_id == 999:
            await workflow.wait_condition(lambda: self.state == "completed")
        else:
            self.charge_id = 7000 + request.charge_point_id
            self.state = "charging"
            await workflow.wait_condition(lambda: self.state == "completed")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    @workflow.signal(name=c.SIGNAL_CHARGE_UPDATED)
    def charge_updated(self, snap: c.ChargeSnapshot) -> None:
        self.signals += 1
        self.kwh = max(self.kwh, snap.consumed_kwh)

    @workflow.query(name=c.QUERY_STATUS)
    def status(self) -> SessionStatus:
        return SessionStatus(
            session_id=workflow.info().workflow_id,
            state=self.state,
            operator=self.req.operator,
            charge_point_id=self.req.charge_point_id,
            terminal_id=self.req.terminal_id,
            charge_id=self.charge_id,
            short_code="ABC123" if self.charge_id else None,
            consumed_kwh=self.kwh,
            kwh_budget=STANDIN_KWH_BUDGET if self.charge_id else None,
            reason=self.reason,
            last_error=str(self.signals),
        )

    @workflow.update(name=c.UPDATE_WAIT_ACCEPTED)
    async def wait_accepted(self, digest: str | None = None) -> SessionStatus:
        await workflow.wait_condition(
            lambda: self.charge_id is not None or self.state in c.FINAL_STATES
        )
        return self.status()

    @wait_accepted.validator
    def _validate_accepted(self, digest: str | None = None) -> None:
        check_digest(workflow.memo_value(MEMO_DIGEST, None, type_hint=str), digest)

    @workflow.update(name=c.UPDATE_REQUEST_STOP)
    def request_stop(self, request: c.StopRequest) -> SessionStatus:
        self.state = "completed"
        return self.status()

    @request_stop.validator
    def _check(self, request: c.StopRequest) -> None:
        if self.state in c.FINAL_STATES:
            raise ApplicationError("too late", type="SessionNotStoppable")
