"""ChargeSessionWorkflow: one paid charge, price → reserve → start → watch → stop → settle.

Thin on purpose: the maths and the decisions live in budget / merge / decide / settle
(pure, unit-tested); this file sequences activities, keeps the state in one model
(`SessionData`, carried across continue-as-new) and always waits with a timeout equal to
the next deadline, so no non-final state can wait forever.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate, SearchAttributeValueType
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, FailureError

with workflow.unsafe.imports_passed_through():
    import workflows.contracts as c
    import workflows.search_attributes as sa
    from core.clock import Clock
    from core.money import Money
    from workflows.budget import BudgetRejected, compute_budget
    from workflows.decide import ENDED_STATES, Facts, StopReason, decide
    from workflows.idempotency import MEMO_DIGEST, check_digest
    from workflows.merge import merge
    from workflows.session_calls import MONTA_START_RETRY, monta, payment, stop_charge
    from workflows.session_data import SessionData
    from workflows.session_models import SessionRequest, SessionStatus
    from workflows.settle import Settlement, nothing, settle_completed, settle_last_known

MAX_START_ATTEMPTS = 5
START_REJECTIONS = (c.ERR_CHARGE_POINT_UNAVAILABLE, c.ERR_MONTA_CLIENT)


def _error_type(exc: BaseException) -> tuple[str | None, str | None]:
    """(ApplicationError type, first detail) of an activity failure."""
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    if isinstance(cause, ApplicationError):
        detail = cause.details[0] if cause.details else None
        return cause.type, str(detail) if detail is not None else None
    return None, None


@workflow.defn(name=c.SESSION_WORKFLOW)
class ChargeSessionWorkflow:
    @workflow.init
    def __init__(self, request: SessionRequest, carried: SessionData | None = None) -> None:
        # The SDK only applies type hints when the argument count matches the signature, and
        # callers start with the request alone (continue-as-new passes both): validate here.
        self.req = SessionRequest.model_validate(request)
        self.d = SessionData.model_validate(carried) if carried is not None else SessionData()
        self.cfg = self.req.config
        self.clock = Clock(self.cfg.time_scale)
        self._early: list[c.ChargeSnapshot] = []  # snapshots before the charge id is known
        self._fresh = False  # a snapshot changed the view since the loop last looked
        self._timer: asyncio.Task[None] | None = None  # the next deadline (see _wait_for)
        self._timer_at: datetime | None = None

    # ------------------------------------------------------------------ handlers
    @workflow.signal(name=c.SIGNAL_CHARGE_UPDATED)
    def charge_updated(self, snapshot: c.ChargeSnapshot) -> None:
        if self.d.state in c.FINAL_STATES:
            return
        if self.d.charge_id is None:
            self._early.append(snapshot)
            return
        self._take(snapshot)

    @workflow.query(name=c.QUERY_STATUS)
    def status(self) -> SessionStatus:
        d, cur = self.d, self.req.amount.currency
        snap = d.view.snapshot if d.view else None
        price = snap.price_minor if snap else None
        return SessionStatus(
            session_id=workflow.info().workflow_id,
            state=d.state,
            operator=self.req.operator,
            charge_point_id=self.req.charge_point_id,
            terminal_id=self.req.terminal_id,
            charge_id=d.charge_id,
            short_code=self._short_code(),
            consumed_kwh=d.consumed_kwh,
            kwh_budget=d.budget.kwh_budget if d.budget else None,
            price_budget=d.budget.price_budget if d.budget else None,
            price=Money(amount_minor=price, currency=cur) if price is not None else None,
            authorized=d.authorization.amount if d.authorization else None,
            authorization_id=d.authorization.authorization_id if d.authorization else None,
            captured=d.captured,
            released=d.released,
            uncollected=d.uncollected,
            attention=d.attention,
            reason=d.reason,
            last_error=d.last_error,
            started_at=d.accepted_at,
            stop_requested_at=d.stop_requested_at,
            completed_at=d.finished_at,
            updated_at=snap.updated_at if snap else None,
            charge_state=snap.state if snap else None,
        )

    @workflow.update(name=c.UPDATE_WAIT_ACCEPTED)
    async def wait_accepted(self, digest: str | None = None) -> SessionStatus:
        """Returns once Monta accepted the start (charge id known) or the session ended.
        `digest`: the caller's request body's (workflows/idempotency.py)."""
        await workflow.wait_condition(
            lambda: self.d.charge_id is not None or self.d.state in c.FINAL_STATES
        )
        return self.status()

    @wait_accepted.validator
    def _validate_accepted(self, digest: str | None = None) -> None:
        check_digest(workflow.memo_value(MEMO_DIGEST, None, type_hint=str), digest)

    @workflow.update(name=c.UPDATE_REQUEST_STOP)
    def request_stop(self, request: c.StopRequest) -> SessionStatus:
        if self.d.stop_requested is None:
            self.d.stop_requested = request.reason
            self.d.stop_requested_at = workflow.now()
            self._fresh = True
        return self.status()

    @request_stop.validator
    def _validate_stop(self, request: c.StopRequest) -> None:
        if self.d.state in c.FINAL_STATES or self.d.state == "settling":
            raise ApplicationError(
                f"session is {self.d.state}: too late to stop", type="SessionNotStoppable"
            )

    # ------------------------------------------------------------------ main
    @workflow.run
    async def run(
        self, request: SessionRequest, carried: SessionData | None = None
    ) -> SessionStatus:
        if self.d.created_at is None:
            self.d.created_at = workflow.now()
            self.d.state = self.req.first_state()
        self._upsert_identity()
        phases = {
            "pricing": self._price_and_reserve,
            "authorizing": self._price_and_reserve,
            "starting": self._start_or_watch,
            "charging": self._watch,
            "stopping": self._await_completion,
            "settling": self._settle,
        }
        while self.d.state not in c.FINAL_STATES:
            await phases[self.d.state]()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    # ------------------------------------------------------------------ price + reserve
    async def _price_and_reserve(self) -> None:
        if self.req.paying_team_id is None:
            # The API fills in the operator's default team; a bare start must name one.
            self.d.last_error = "no paying team: set paying_team_id"
            return self._finish("rejected", reason="paying_team_missing")
        quote = self.req.tariff or await self._read_tariff()
        self.d.charge_point, self.d.tariff = quote.charge_point, quote.tariff
        self._set_state("authorizing")
        try:
            self.d.authorization = await self._reserve()
        except ActivityError as exc:
            kind, detail = _error_type(exc)
            self.d.last_error = str(exc.cause or exc)
            if kind != c.ERR_PAYMENT_DECLINED:
                self._flag(f"payment_unavailable: {kind}")
            return self._finish("declined", reason=detail or kind or "payment_failed")
        try:
            self.d.budget = compute_budget(self.d.authorization.amount, quote.tariff, self.cfg)
        except BudgetRejected as exc:
            self.d.last_error = str(exc)
            await self._release()
            return self._finish("rejected", reason=exc.code)
        self._set_state("starting")

    async def _read_tariff(self) -> c.TariffQuote:
        """Starts the API quoted carry their tariff (SessionRequest.tariff); the input is in
        the history, so replaying a session that read it here takes this path again."""
        return await monta(
            self.cfg,
            c.MONTA_GET_TARIFF,
            c.GetTariffInput(operator=self.req.operator, charge_point_id=self.req.charge_point_id),
            c.TariffQuote,
            f"tariff of CP {self.req.charge_point_id}",
        )

    async def _reserve(self) -> c.Authorization:
        wid = workflow.info().workflow_id
        if self.req.authorization_ref is not None:
            return await payment(
                c.PAYMENTS_VERIFY,
                c.VerifyInput(
                    authorization_ref=self.req.authorization_ref, idempotency_key=f"{wid}/verify"
                ),
                c.Authorization,
                "verify the terminal's hold",
            )
        assert self.req.payment_token is not None
        return await payment(
            c.PAYMENTS_AUTHORIZE,
            c.AuthorizeInput(
                payment_token=self.req.payment_token,
                amount=self.req.amount,
                idempotency_key=f"{wid}/authorize",
            ),
            c.Authorization,
            f"authorize {self.req.amount}",
        )

    # ------------------------------------------------------------------ start
    async def _start(self) -> None:
        if self.d.stop_requested is not None:
            self.d.reason = "stopped_before_start"
            await self._release()
            return self._finish("voided", reason="stopped_before_start")
        try:
            snap = await self._start_charge()
        except _StartRejected as exc:
            self.d.last_error = exc.message
            await self._release()
            return self._finish("start_failed", reason=exc.code)
        self.d.charge_id = snap.charge_id
        self.d.accepted_at = workflow.now()
        self.d.last_signal_at = workflow.now()
        self._take(snap)
        for early in self._early:
            self._take(early)
        self._early.clear()
        self._upsert(sa.MONTA_CHARGE_ID, snap.charge_id)

    async def _start_or_watch(self) -> None:
        """`starting` covers both the start call and the wait for the car's first kWh."""
        if self.d.charge_id is None:
            await self._start()
        if self.d.state == "starting" and self.d.charge_id is not None:
            await self._watch()

    async def _start_charge(self) -> c.ChargeSnapshot:
        """POST /charges at most once per known outcome: an unknown one is looked up first."""
        assert self.d.budget is not None and self.d.tariff is not None
        wid = workflow.info().workflow_id
        start = c.StartChargeInput(
            operator=self.req.operator,
            charge_point_id=self.req.charge_point_id,
            paying_team_id=self.req.paying_team_id or 0,  # checked in _price_and_reserve
            partner_external_id=wid,
            kwh_limit=self.d.budget.kwh_limit,
            price_limit_minor=self.d.budget.price_limit.amount_minor,
            currency=self.d.budget.price_limit.currency,
            price_group_id=self.d.tariff.price_group_id,
            payment_session=self._payment_session(),
        )
        find = c.FindChargeInput(operator=self.req.operator, partner_external_id=wid)
        for attempt in range(MAX_START_ATTEMPTS):
            try:
                return await monta(
                    self.cfg,
                    c.MONTA_START_CHARGE,
                    start,
                    c.ChargeSnapshot,
                    f"start CP {self.req.charge_point_id}, cap {start.kwh_limit} kWh",
                    retry=MONTA_START_RETRY,
                )
            except ActivityError as exc:
                kind, detail = _error_type(exc)
                if kind in START_REJECTIONS:
                    raise _StartRejected(detail or kind or "rejected", str(exc.cause)) from exc
                self.d.last_error = str(exc.cause or exc)
            found = await monta(
                self.cfg,
                c.MONTA_FIND_CHARGE,
                find,
                c.ChargeSnapshot | None,  # type: ignore[arg-type]
                "look up the charge after an unknown start outcome",
            )
            if found is not None:
                return found
            await workflow.sleep(timedelta(seconds=2**attempt))
        raise _StartRejected("monta_unavailable", self.d.last_error or "start failed")

    # ------------------------------------------------------------------ watch + stop
    async def _watch(self) -> None:
        while True:
            facts = self._facts()
            decision = decide(facts)
            view = self.d.view
            if view is not None and view.snapshot.state in ENDED_STATES:
                self.d.stop_reason = self.d.stop_reason or f"charge_{view.snapshot.state}"
                self._set_state("stopping")
                return
            if decision.stop is not None:
                return await self._stop(decision.stop)
            await self._wait_for(decision.wake_at)
            if self.d.state == "starting" and self._energy_flows():
                self._set_state("charging")
            self._publish_details()
            await self._maybe_continue_as_new()

    async def _stop(self, reason: StopReason) -> None:
        """Send the one stop; Monta's stop is idempotent, and the flag makes it once."""
        self.d.stop_reason = reason
        self.d.reason = self.d.reason or reason
        if self.d.stop_sent_at is None and self.d.charge_id is not None:
            self.d.stop_sent_at = workflow.now()
            self._set_state("stopping")
            ref = c.ChargeRef(operator=self.req.operator, charge_id=self.d.charge_id)
            try:
                self._take(
                    await stop_charge(self.cfg, ref, f"stop charge {ref.charge_id}: {reason}")
                )
            except CancelledError:
                raise
            except FailureError as exc:
                # The charge may have ended on its own (kwhLimit) or be gone: settle decides.
                # Any failure (not only ActivityError) lands here: a stop must never fail
                # the session and strand its hold.
                cause = exc.cause if isinstance(exc, ActivityError) else exc
                self.d.last_error = str(cause or exc)
        self._set_state("stopping")
        if reason == "no_energy" and self.d.consumed_kwh <= 0:
            await self._release()
            self._finish("start_failed", reason="no_energy")

    async def _await_completion(self) -> None:
        """Wait for `completed`; by the settle deadline, capture on the last known price."""
        deadline = self._settle_deadline()
        while not self._completed():
            if workflow.now() >= deadline:
                self._set_state("settling")
                return await self._settle_with(
                    settle_last_known(
                        self.d.view.snapshot if self.d.view else None,
                        self._tariff(),
                        self._authorized(),
                        self.cfg,
                        "no_completed_before_capture_deadline",
                    )
                )
            await self._wait_for(deadline)
            self._publish_details()
            await self._maybe_continue_as_new()
        self._set_state("settling")

    # ------------------------------------------------------------------ settle
    async def _settle(self) -> None:
        if self.d.view is None or not self._completed():
            return await self._settle_with(nothing(self._authorized()))
        snap = self.d.view.snapshot
        await self._settle_with(
            settle_completed(snap, self._tariff(), self._authorized(), self.cfg)
        )

    async def _settle_with(self, s: Settlement) -> None:
        if s.attention:
            self._flag(s.attention)
        self.d.settled_price = s.price
        self.d.uncollected = s.uncollected
        if s.void:
            await self._release()
            return self._finish("voided")
        wid = workflow.info().workflow_id
        auth = self.d.authorization
        assert auth is not None
        try:
            result = await payment(
                c.PAYMENTS_CAPTURE,
                c.CaptureInput(
                    authorization_id=auth.authorization_id,
                    amount=s.capture,
                    idempotency_key=f"{wid}/capture",
                ),
                c.CaptureResult,
                f"capture {s.capture} of {auth.amount}",
            )
        except ActivityError as exc:
            kind, _ = _error_type(exc)
            self.d.last_error = str(exc.cause or exc)
            self._flag(f"capture_failed: {kind}")
            return self._finish("completed", reason="capture_failed")
        self.d.captured, self.d.released = result.captured, result.released
        await self._attach_receipt(result.captured)
        self._finish("completed")

    async def _attach_receipt(self, captured: Money) -> None:
        if self.d.charge_id is None:
            return
        try:
            await monta(
                self.cfg,
                c.MONTA_ATTACH_PAYMENT,
                c.AttachPaymentInput(
                    operator=self.req.operator,
                    charge_id=self.d.charge_id,
                    payment_session=self._payment_session(),
                    captured=captured,
                ),
                object,
                f"attach {captured} to charge {self.d.charge_id}",
            )
        except ActivityError as exc:
            # The money is settled; only the receipt lacks the amount.
            self.d.last_error = f"receipt: {exc.cause or exc}"

    async def _release(self) -> None:
        """Void the hold (nothing to capture). A definitive failure flags the session."""
        auth = self.d.authorization
        if auth is None:
            return
        wid = workflow.info().workflow_id
        try:
            result = await payment(
                c.PAYMENTS_VOID,
                c.VoidInput(authorization_id=auth.authorization_id, idempotency_key=f"{wid}/void"),
                c.VoidResult,
                f"void hold of {auth.amount}",
            )
            self.d.released = result.released
        except ActivityError as exc:
            kind, _ = _error_type(exc)
            self.d.last_error = str(exc.cause or exc)
            if kind != c.ERR_ALREADY_VOIDED:
                self._flag(f"void_failed: {kind}")
        self.d.captured = Money(amount_minor=0, currency=auth.amount.currency)

    # ------------------------------------------------------------------ helpers
    def _take(self, snapshot: c.ChargeSnapshot) -> None:
        merged = merge(self.d.view, snapshot, self.cfg.time_scale)
        if merged is None:
            return
        self.d.view = merged
        self.d.last_signal_at = workflow.now()
        self._fresh = True

    async def _wait_for(self, wake_at: datetime | None) -> None:
        """Sleep until `wake_at` or a fresh snapshot or stop request.

        One timer is kept across snapshots and only replaced by an earlier deadline: a timer
        per snapshot would add two history events to every webhook. Waking early is harmless
        (the caller decides again). Silent webhooks are the operator's watcher's job
        (workflows/watcher.py): the session never polls Monta itself."""
        if wake_at is not None:
            self._arm_timer(wake_at)
        timer = self._timer
        self._fresh = False
        await workflow.wait_condition(lambda: self._fresh or (timer is not None and timer.done()))
        if timer is not None and timer.done():
            self._timer, self._timer_at = None, None

    def _arm_timer(self, at: datetime) -> None:
        if self._timer is not None and not self._timer.done():
            if self._timer_at is not None and self._timer_at <= at:
                return
            self._timer.cancel()
        delay = max((at - workflow.now()).total_seconds(), 0.001)
        self._timer = asyncio.create_task(workflow.sleep(delay, summary="next session deadline"))
        self._timer_at = at

    def _facts(self) -> Facts:
        assert self.d.budget and self.d.tariff and self.d.accepted_at
        return Facts(
            now=workflow.now(),
            view=self.d.view,
            budget=self.d.budget,
            tariff=self.d.tariff,
            config=self.cfg,
            accepted_at=self.d.accepted_at,
            stop_deadline=self._capture_deadline() - self.clock.wall(self.cfg.capture_margin_s),
            stop_requested=self.d.stop_requested is not None,
        )

    def _capture_deadline(self) -> datetime:
        auth = self.d.authorization
        assert auth is not None
        return auth.expires_at - self.clock.wall(self.cfg.capture_margin_s)

    def _settle_deadline(self) -> datetime:
        if self.d.stopping_since is None:
            self.d.stopping_since = workflow.now()
        stopped = self.d.stop_sent_at or self.d.stopping_since
        return min(stopped + self.clock.wall(self.cfg.settle_timeout_s), self._capture_deadline())

    def _energy_flows(self) -> bool:
        view = self.d.view
        return view is not None and (
            view.snapshot.consumed_kwh > 0 or view.snapshot.state == "charging"
        )

    def _completed(self) -> bool:
        return self.d.view is not None and self.d.view.snapshot.state == "completed"

    def _tariff(self) -> c.Tariff:
        assert self.d.tariff is not None
        return self.d.tariff

    def _authorized(self) -> Money:
        assert self.d.authorization is not None
        return self.d.authorization.amount

    def _short_code(self) -> str:
        """The code the terminal shows and the receipt is found by (Monta externalId)."""
        return self.req.terminal_transaction_id[-8:].upper()

    def _payment_session(self) -> c.PaymentSessionInfo:
        auth = self.d.authorization
        return c.PaymentSessionInfo(
            provider=self.cfg.provider_slug,
            external_id=self._short_code(),
            card_brand=(auth.card_brand if auth else None) or self.req.card_brand,
            card_last4=(auth.card_last4 if auth else None) or self.req.card_last4,
        )

    def _finish(self, state: c.SessionStateName, reason: str | None = None) -> None:
        if reason is not None:
            self.d.reason = reason
        self.d.finished_at = workflow.now()
        self._set_state(state)
        self._publish_details()

    def _flag(self, reason: str) -> None:
        self.d.attention = reason if not self.d.attention else f"{self.d.attention}; {reason}"
        self._upsert(sa.ATTENTION, self.d.attention[:200])

    def _set_state(self, state: c.SessionStateName) -> None:
        """One upsert per state change, carrying when it happened and, once known, when the
        hold expires (the stuck-session and hold-expiry alerts read both from visibility)."""
        self.d.state = state
        if workflow.info().typed_search_attributes.get(sa.SESSION_STATE) == state:
            return
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.SESSION_STATE.value_set(state),
            sa.STATE_SINCE.value_set(workflow.now()),
        ]
        auth, hold = self.d.authorization, sa.HOLD_EXPIRES_AT
        if auth is not None:  # a final state has captured or released the hold
            final = state in c.FINAL_STATES
            updates.append(hold.value_unset() if final else hold.value_set(auth.expires_at))
        workflow.upsert_search_attributes(updates)

    def _upsert_identity(self) -> None:
        """The starter usually sets these already; upsert only what is missing or differs."""
        self._upsert(sa.OPERATOR, self.req.operator)
        self._upsert(sa.CHARGE_POINT_ID, self.req.charge_point_id)
        self._upsert(sa.TERMINAL_ID, self.req.terminal_id)
        if self.req.card_last4:
            self._upsert(sa.CARD_LAST4, self.req.card_last4)
        self._upsert(sa.SESSION_STATE, self.d.state)
        if self.d.charge_id is not None:
            self._upsert(sa.MONTA_CHARGE_ID, self.d.charge_id)
        if self.d.attention:
            self._upsert(sa.ATTENTION, self.d.attention[:200])

    def _upsert(
        self, key: SearchAttributeKey[SearchAttributeValueType], value: SearchAttributeValueType
    ) -> None:
        if workflow.info().typed_search_attributes.get(key) != value:
            workflow.upsert_search_attributes([key.value_set(value)])

    def _publish_details(self) -> None:
        """Live progress for the UI without a history event per tick."""
        d = self.d
        lines = [f"state **{d.state}**"]
        if d.budget:
            lines.append(f"{d.consumed_kwh} / {d.budget.kwh_budget} kWh")
            snap = d.view.snapshot if d.view else None
            if snap and snap.price_minor is not None:
                price = Money(
                    amount_minor=snap.price_minor, currency=d.budget.price_budget.currency
                )
                lines.append(f"price {price} / budget {d.budget.price_budget}")
            if d.view and d.view.power_kw is not None:
                lines.append(f"{d.view.power_kw} kW")
        if d.captured is not None:
            lines.append(f"captured {d.captured}")
        if d.attention:
            lines.append(f"attention: {d.attention}")
        workflow.set_current_details(" · ".join(lines))

    async def _maybe_continue_as_new(self) -> None:
        info = workflow.info()
        forced = self.cfg.continue_as_new_after_events
        if not info.is_continue_as_new_suggested() and not (
            forced and info.get_current_history_length() >= forced
        ):
            return
        await workflow.wait_condition(workflow.all_handlers_finished)
        self.d.runs += 1
        workflow.continue_as_new(args=[self.req, self.d])


class _StartRejected(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
