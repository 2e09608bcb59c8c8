"""ChargeSessionWorkflow: one paid charge, hold → price → start → watch → stop → settle.

This file is the lifecycle only: one method per phase, in the order a session lives them.
What a phase decides is a pure function with its own tests; the steps and what operators see
live in the session_* modules (workflows/README.md lists them). The state is one model
(`SessionData`) carried across continue-as-new, and every wait has a timeout, so no
non-final state can wait forever.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        FINAL_STATES,
        QUERY_STATUS,
        SESSION_WORKFLOW,
        SIGNAL_CHARGE_UPDATED,
        UPDATE_REQUEST_STOP,
        UPDATE_WAIT_ACCEPTED,
        ChargeSnapshot,
        SessionRequest,
        SessionStateName,
        SessionStatus,
        StopRequest,
    )
    from workflows.decide import ENDED_STATES, StopReason, decide
    from workflows.final_price_watch import final_price_watch_until, next_read_at
    from workflows.idempotency import MEMO_DIGEST, check_digest
    from workflows.operator_actions import (
        UPDATE_OPERATOR_ACTION,
        ActionRefused,
        OperatorAction,
        check_action,
    )
    from workflows.session_attributes import flag, set_state, upsert_charge_id, upsert_identity
    from workflows.session_data import SessionData
    from workflows.session_facts import watch_facts
    from workflows.session_history import continue_as_new_due
    from workflows.session_hold import SessionHold
    from workflows.session_idle import stopping_deadline
    from workflows.session_inbox import SessionInbox
    from workflows.session_increments import TopUps
    from workflows.session_monta_calls import attach_receipt, read_before_settling, refresh_charge
    from workflows.session_receipt import write_receipt
    from workflows.session_reserve import price_and_budget, release_point_if_done, reserve_and_claim
    from workflows.session_settlement import settlement_at_deadline, settlement_on_completion
    from workflows.session_silence import check_if_silent, or_silence_check
    from workflows.session_start_outcome import StartEnding, start_or_adopt
    from workflows.session_status import session_status
    from workflows.session_stop import check_stoppable, send_stop, stop_retry_at
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
        self._hold = SessionHold(self.data, self.config)
        self._top_ups = TopUps(self.request, self.data, self._inbox)  # increments, if on

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
            lambda: (
                self.data.charge_id is not None
                or self.data.state in FINAL_STATES
                or self.data.waiting_for_operator
            )
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
        check_stoppable(self.data.state)

    @workflow.update(name=UPDATE_OPERATOR_ACTION)
    async def operator_action(self, action: OperatorAction) -> SessionStatus:
        """An operator's way out for a flagged session (workflows/operator_actions.py): the
        update's input in the history says who asked what and why; the same request id
        again is answered, not applied twice."""
        if not self._hold.handled(action.request_id):
            self._hold.accept(action)
            await workflow.wait_condition(lambda: self._hold.handled(action.request_id))
        return self.status()

    @operator_action.validator
    def _validate_action(self, action: OperatorAction) -> None:
        if self._hold.handled(action.request_id):
            return
        try:
            check_action(action, self._hold.facts())
        except ActionRefused as exc:
            raise ApplicationError(str(exc), type=exc.code) from None

    # ------------------------------------------------------------------ lifecycle
    @workflow.run
    async def run(
        self, request: SessionRequest, carried: SessionData | None = None
    ) -> SessionStatus:
        if self.data.created_at is None:
            self.data.created_at, self.data.state = workflow.now(), self.request.first_state()
        upsert_identity(self.request, self.data)
        phases = {
            "authorizing": self._reserve,
            "pricing": self._price,
            "starting": self._start_or_watch,
            "charging": self._watch,
            "stopping": self._await_completion,
            "settling": self._settle,
        }
        while self.data.state not in FINAL_STATES:
            await phases[self.data.state]()
            await release_point_if_done(self.request, self.data)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    async def _reserve(self) -> None:
        """Verify or place the hold, then claim it: nothing, not even a Monta read, happens
        before this session owns it (workflows/session_reserve.py)."""
        ending = await reserve_and_claim(self.request, self.data, self._hold)
        if ending is not None:
            return self._finish(*ending)
        if self.request.tariff is None:
            return set_state(self.data, "pricing")
        await self._price()

    async def _price(self) -> None:
        """The tariff the API read for the start, or read now; the budget it gives."""
        ending = await price_and_budget(self.request, self.data)
        if ending is not None:
            await self._hold.void()
            return self._finish(*ending)
        set_state(self.data, "starting")

    async def _start_or_watch(self) -> None:
        """`starting` covers both the start call and the wait for the car's first kWh."""
        if self.data.charge_id is None:
            await self._start()
        if self.data.state == "starting" and self.data.charge_id is not None:
            await self._watch()

    async def _start(self) -> None:
        if self.data.stop_requested is not None:
            await self._hold.void()
            return self._finish("voided", reason="stopped_before_start")
        outcome = await start_or_adopt(self.request, self.data, self._inbox)
        if isinstance(outcome, StartEnding):
            if outcome.no_charge:  # proven: no charge exists, so the hold may go
                await self._hold.void()
            return self._finish("start_failed", reason=outcome.reason)
        self.data.start_outcome_unknown = False
        self.data.charge_id = outcome.charge_id
        self.data.accepted_at = self.data.last_signal_at = workflow.now()
        self._inbox.charge_started(outcome)
        upsert_charge_id(outcome.charge_id)

    async def _watch(self) -> None:
        """Decide again on every snapshot and at every deadline `decide` names, until Monta
        ends the charge or the session must stop it."""
        while True:
            await check_if_silent(self.request, self.data, self._inbox)
            watch = watch_facts(self.data, self.config, workflow.now(), self._top_ups.asking)
            self._top_ups.ask_if_due(watch)
            decision = decide(watch)
            snapshot = self.data.snapshot
            if snapshot is not None and snapshot.state in ENDED_STATES:
                self.data.stop_reason = self.data.stop_reason or f"charge_{snapshot.state}"
                set_state(self.data, "stopping")
                return
            if decision.stop is not None:
                return await self._stop(decision.stop)
            await self._inbox.wait_for(or_silence_check(decision.wake_at, self.request, self.data))
            if self.data.state == "starting" and self.data.energy_flows:
                set_state(self.data, "charging")
            publish_live_summary(self.data)
            await self._maybe_continue_as_new()

    async def _stop(self, reason: StopReason) -> None:
        """Send the stop (Monta's stop is idempotent); unconfirmed, it is sent again while
        the session waits for `completed`. Even a no-energy stop Monta confirmed waits for
        it: a charge that has not ended may still draw, so the hold stays (I3)."""
        self.data.stop_reason, self.data.reason = reason, self.data.reason or reason
        if self.data.stop_sent_at is None and self.data.charge_id is not None:
            self.data.stop_sent_at = workflow.now()
            set_state(self.data, "stopping")
            await send_stop(self.request, self.data, self._inbox)
        set_state(self.data, "stopping")

    async def _await_completion(self) -> None:
        """Wait for `completed` (and the car to leave: docs/idle-fees.md); by the settle
        deadline, capture on the last known price and keep watching for the final one."""
        if self.data.stopping_since is None:
            self.data.stopping_since = workflow.now()
        while not self.data.charge_completed:  # bounded for a car that never leaves
            now, deadline = workflow.now(), stopping_deadline(self.data, self.config)
            if now >= deadline:
                if await read_before_settling(self.request, self.data, self._inbox, deadline):
                    continue  # decide again on Monta's latest view of the charge
                set_state(self.data, "settling")
                await self._top_ups.before_settling()
                return await self._settle_with(settlement_at_deadline(self.data, self.config))
            retry_at = stop_retry_at(self.data, self.config)
            if retry_at is not None and now >= retry_at:
                await send_stop(self.request, self.data, self._inbox)
                continue
            await self._inbox.wait_for(min(deadline, retry_at or deadline))
            publish_live_summary(self.data)
            await self._maybe_continue_as_new()
        set_state(self.data, "settling")

    async def _settle(self) -> None:
        if self.data.captured is not None:  # captured at the deadline: the final price
            return await self._watch_for_final_price()
        await self._top_ups.before_settling()
        await self._settle_with(settlement_on_completion(self.data, self.config))

    async def _settle_with(self, settlement: Settlement) -> None:
        if settlement.attention:
            flag(self.data, settlement.attention)
        self.data.settled_price = settlement.price
        self.data.uncollected = settlement.uncollected
        if settlement.void:
            await self._hold.void()
            if self.data.stop_reason == "no_energy":
                return self._finish("start_failed", reason="no_energy")
            return self._finish("voided")
        on_final_price = self.data.charge_completed
        await self._hold.capture(settlement.capture)
        await attach_receipt(self.request, self.data)
        if not on_final_price and self.data.charge_id is not None:
            return await self._watch_for_final_price()
        await write_receipt(self.request, self.data)
        self._finish("completed")

    async def _watch_for_final_price(self) -> None:
        """Captured on the last known price: wait for (and ask Monta) what it finally cost."""
        limit = final_price_watch_until(self.data, self.config, workflow.now())
        while not self.data.charge_completed and workflow.now() < limit:
            await self._inbox.wait_for(next_read_at(self.data, self.config, workflow.now()))
            if not self.data.charge_completed:
                self.data.final_price_reads += 1
                await refresh_charge(self.request, self.data, self._inbox)
            await self._maybe_continue_as_new()
        if self.data.charge_completed:
            self.data.settled_price = settlement_on_completion(self.data, self.config).price
            self._hold.recount_uncollected()
        await write_receipt(self.request, self.data)
        self._finish("completed")

    def _finish(self, state: SessionStateName, reason: str | None = None) -> None:
        self.data.reason = reason or self.data.reason
        self.data.finished_at = workflow.now()
        set_state(self.data, state)
        publish_live_summary(self.data)

    async def _maybe_continue_as_new(self) -> None:
        if continue_as_new_due(self.config) and not self._top_ups.asking:
            await workflow.wait_condition(workflow.all_handlers_finished)
            self.data.runs += 1
            workflow.continue_as_new(args=[self.request, self.data])
