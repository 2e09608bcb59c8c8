"""ChargeSessionWorkflow: one paid charge, price → reserve → start → watch → stop → settle
→ finish.

This file is the lifecycle only: one method per phase, in the order a session lives them.
What a phase decides is a pure function with its own tests (budget, decide, settle and the
session_* helpers); what it asks Monta or the acquirer is in session_monta_calls and
session_payment_calls; how snapshots reach it and when it wakes, in session_inbox; what
operators see in session_status, session_attributes and session_summary. The whole state is
one model (`SessionData`) carried across continue-as-new, and every wait has a timeout equal
to the next deadline, so no non-final state can wait forever.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, FailureError

with workflow.unsafe.imports_passed_through():
    from core.money import Money
    from workflows.activity_errors import error_type, failure_text
    from workflows.budget import BudgetRejected, compute_budget
    from workflows.contracts import (
        ERR_ALREADY_VOIDED,
        ERR_PAYMENT_DECLINED,
        FINAL_STATES,
        QUERY_STATUS,
        SESSION_WORKFLOW,
        SIGNAL_CHARGE_UPDATED,
        UPDATE_REQUEST_STOP,
        UPDATE_WAIT_ACCEPTED,
        ChargeRef,
        ChargeSnapshot,
        SessionStateName,
        StopRequest,
    )
    from workflows.decide import ENDED_STATES, StopReason, decide
    from workflows.idempotency import MEMO_DIGEST, check_digest
    from workflows.session_attributes import flag, set_state, upsert_charge_id, upsert_identity
    from workflows.session_calls import stop_charge
    from workflows.session_data import SessionData
    from workflows.session_deadlines import settle_deadline
    from workflows.session_facts import watch_facts
    from workflows.session_history import continue_as_new_due
    from workflows.session_inbox import SessionInbox
    from workflows.session_models import SessionRequest, SessionStatus
    from workflows.session_monta_calls import (
        StartRejected,
        attach_receipt,
        read_tariff,
        start_charge,
    )
    from workflows.session_payment_calls import capture, reserve, void
    from workflows.session_settlement import settlement_at_deadline, settlement_on_completion
    from workflows.session_status import session_status
    from workflows.session_summary import publish_live_summary
    from workflows.settle import Settlement


@workflow.defn(name=SESSION_WORKFLOW)
class ChargeSessionWorkflow:
    @workflow.init
    def __init__(self, request: SessionRequest, carried: SessionData | None = None) -> None:
        # The SDK only applies type hints when the argument count matches the signature, and
        # callers start with the request alone (continue-as-new passes both): validate here.
        self.request = SessionRequest.model_validate(request)
        self.config = self.request.config
        self.data = SessionData.model_validate(carried) if carried is not None else SessionData()
        self._inbox = SessionInbox(self.data, self.config.time_scale)

    # ------------------------------------------------------------------ handlers
    @workflow.signal(name=SIGNAL_CHARGE_UPDATED)
    def charge_updated(self, snapshot: ChargeSnapshot) -> None:
        if self.data.state in FINAL_STATES:
            return
        self._inbox.receive(snapshot)

    @workflow.query(name=QUERY_STATUS)
    def status(self) -> SessionStatus:
        return session_status(workflow.info().workflow_id, self.request, self.data)

    @workflow.update(name=UPDATE_WAIT_ACCEPTED)
    async def wait_accepted(self, digest: str | None = None) -> SessionStatus:
        """Returns once Monta accepted the start (charge id known) or the session ended, so
        the terminal's start answers with the outcome. `digest`: of the caller's request
        body; another body under the same id is refused (workflows/idempotency.py)."""
        await workflow.wait_condition(
            lambda: self.data.charge_id is not None or self.data.state in FINAL_STATES
        )
        return self.status()

    @wait_accepted.validator
    def _validate_accepted(self, digest: str | None = None) -> None:
        check_digest(workflow.memo_value(MEMO_DIGEST, None, type_hint=str), digest)

    @workflow.update(name=UPDATE_REQUEST_STOP)
    def request_stop(self, request: StopRequest) -> SessionStatus:
        """The first request is kept; the lifecycle wakes and stops the charge."""
        if self.data.stop_requested is None:
            self.data.stop_requested = request.reason
            self.data.stop_requested_at = workflow.now()
            self._inbox.note_stop_request()
        return self.status()

    @request_stop.validator
    def _validate_stop(self, request: StopRequest) -> None:
        if self.data.state in FINAL_STATES or self.data.state == "settling":
            raise ApplicationError(
                f"session is {self.data.state}: too late to stop", type="SessionNotStoppable"
            )

    # ------------------------------------------------------------------ lifecycle
    @workflow.run
    async def run(
        self, request: SessionRequest, carried: SessionData | None = None
    ) -> SessionStatus:
        if self.data.created_at is None:
            self.data.created_at = workflow.now()
            self.data.state = self.request.first_state()
        upsert_identity(self.request, self.data)
        phases = {
            "pricing": self._price_and_reserve,
            "authorizing": self._price_and_reserve,
            "starting": self._start_or_watch,
            "charging": self._watch,
            "stopping": self._await_completion,
            "settling": self._settle,
        }
        while self.data.state not in FINAL_STATES:
            await phases[self.data.state]()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    async def _price_and_reserve(self) -> None:
        if self.request.paying_team_id is None:
            # The API fills in the operator's default team; a bare start must name one.
            self.data.last_error = "no paying team: set paying_team_id"
            return self._finish("rejected", reason="paying_team_missing")
        quote = self.request.tariff or await read_tariff(self.request)
        self.data.charge_point, self.data.tariff = quote.charge_point, quote.tariff
        set_state(self.data, "authorizing")
        try:
            self.data.authorization = await reserve(self.request)
        except ActivityError as exc:
            kind, detail = error_type(exc)
            self.data.last_error = failure_text(exc)
            if kind != ERR_PAYMENT_DECLINED:
                flag(self.data, f"payment_unavailable: {kind}")
            return self._finish("declined", reason=detail or kind or "payment_failed")
        amount = self.data.authorization.amount
        try:
            self.data.budget = compute_budget(amount, quote.tariff, self.config)
        except BudgetRejected as exc:
            self.data.last_error = str(exc)
            await self._release()
            return self._finish("rejected", reason=exc.code)
        set_state(self.data, "starting")

    async def _start_or_watch(self) -> None:
        """`starting` covers both the start call and the wait for the car's first kWh."""
        if self.data.charge_id is None:
            await self._start()
        if self.data.state == "starting" and self.data.charge_id is not None:
            await self._watch()

    async def _start(self) -> None:
        if self.data.stop_requested is not None:
            self.data.reason = "stopped_before_start"
            await self._release()
            return self._finish("voided", reason="stopped_before_start")
        try:
            snapshot = await start_charge(self.request, self.data)
        except StartRejected as exc:
            self.data.last_error = exc.message
            await self._release()
            return self._finish("start_failed", reason=exc.code)
        self.data.charge_id = snapshot.charge_id
        self.data.accepted_at = workflow.now()
        self.data.last_signal_at = workflow.now()
        self._inbox.charge_started(snapshot)
        upsert_charge_id(snapshot.charge_id)

    async def _watch(self) -> None:
        """Decide again on every snapshot and at every deadline `decide` names, until Monta
        ends the charge or the session must stop it."""
        while True:
            decision = decide(watch_facts(self.data, self.config, workflow.now()))
            snapshot = self.data.snapshot
            if snapshot is not None and snapshot.state in ENDED_STATES:
                self.data.stop_reason = self.data.stop_reason or f"charge_{snapshot.state}"
                set_state(self.data, "stopping")
                return
            if decision.stop is not None:
                return await self._stop(decision.stop)
            await self._inbox.wait_for(decision.wake_at)
            if self.data.state == "starting" and self.data.energy_flows:
                set_state(self.data, "charging")
            publish_live_summary(self.data)
            await self._maybe_continue_as_new()

    async def _stop(self, reason: StopReason) -> None:
        """Send the one stop; Monta's stop is idempotent, and `stop_sent_at` makes it once."""
        self.data.stop_reason = reason
        self.data.reason = self.data.reason or reason
        if self.data.stop_sent_at is None and self.data.charge_id is not None:
            self.data.stop_sent_at = workflow.now()
            set_state(self.data, "stopping")
            ref = ChargeRef(operator=self.request.operator, charge_id=self.data.charge_id)
            summary = f"stop charge {ref.charge_id}: {reason}"
            try:
                self._inbox.apply_snapshot(await stop_charge(self.config, ref, summary))
            except CancelledError:
                raise
            except FailureError as exc:
                # The charge may have ended on its own (kwhLimit) or be gone: settle decides.
                # Any failure (not only ActivityError) lands here: a stop must never fail
                # the session and strand its hold.
                self.data.last_error = failure_text(exc)
        set_state(self.data, "stopping")
        if reason == "no_energy" and self.data.consumed_kwh <= 0:
            await self._release()
            self._finish("start_failed", reason="no_energy")

    async def _await_completion(self) -> None:
        """Wait for `completed`; by the settle deadline, capture on the last known price."""
        if self.data.stopping_since is None:
            self.data.stopping_since = workflow.now()
        deadline = settle_deadline(self.data, self.config)
        while not self.data.charge_completed:
            if workflow.now() >= deadline:
                set_state(self.data, "settling")
                return await self._settle_with(settlement_at_deadline(self.data, self.config))
            await self._inbox.wait_for(deadline)
            publish_live_summary(self.data)
            await self._maybe_continue_as_new()
        set_state(self.data, "settling")

    async def _settle(self) -> None:
        await self._settle_with(settlement_on_completion(self.data, self.config))

    async def _settle_with(self, settlement: Settlement) -> None:
        if settlement.attention:
            flag(self.data, settlement.attention)
        self.data.settled_price = settlement.price
        self.data.uncollected = settlement.uncollected
        if settlement.void:
            await self._release()
            return self._finish("voided")
        auth = self.data.authorization
        assert auth is not None
        try:
            result = await capture(auth, settlement.capture)
        except ActivityError as exc:
            kind, _ = error_type(exc)
            self.data.last_error = failure_text(exc)
            flag(self.data, f"capture_failed: {kind}")
            return self._finish("completed", reason="capture_failed")
        self.data.captured, self.data.released = result.captured, result.released
        if self.data.charge_id is not None:
            try:
                await attach_receipt(self.request, self.data, result.captured)
            except ActivityError as exc:
                # The money is settled; only the receipt lacks the amount.
                self.data.last_error = f"receipt: {failure_text(exc)}"
        self._finish("completed")

    async def _release(self) -> None:
        """Void the hold (nothing to capture). A definitive failure flags the session."""
        auth = self.data.authorization
        if auth is None:
            return
        try:
            self.data.released = (await void(auth)).released
        except ActivityError as exc:
            kind, _ = error_type(exc)
            self.data.last_error = failure_text(exc)
            if kind != ERR_ALREADY_VOIDED:
                flag(self.data, f"void_failed: {kind}")
        self.data.captured = Money(amount_minor=0, currency=auth.amount.currency)

    def _finish(self, state: SessionStateName, reason: str | None = None) -> None:
        if reason is not None:
            self.data.reason = reason
        self.data.finished_at = workflow.now()
        set_state(self.data, state)
        publish_live_summary(self.data)

    async def _maybe_continue_as_new(self) -> None:
        if continue_as_new_due(self.config):
            await workflow.wait_condition(workflow.all_handlers_finished)
            self.data.runs += 1
            workflow.continue_as_new(args=[self.request, self.data])
