"""The session's card hold once it is reserved: claimed, then captured or voided exactly
once; and when the acquirer will not, kept open and flagged, retried on a timer, until an
operator acts or the hold expires. Never voided while energy may flow (the lifecycle only
asks for a void once no charge exists or its charge has ended with nothing to bill).

Workflow code only: it runs inside the session (workflows/session.py), on its data.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

from core.money import Money
from workflows.activity_errors import error_type, failure_text
from workflows.contracts import (
    CHARGE_ENDED,
    ERR_ALREADY_CAPTURED,
    ERR_ALREADY_VOIDED,
    ERR_AUTHORIZATION_EXPIRED,
    ERR_AUTHORIZATION_NOT_FOUND,
    ERR_PAYMENT_CREDENTIALS_REJECTED,
    ERR_PAYMENT_UNAVAILABLE,
    Authorization,
    SessionConfig,
)
from workflows.hold_claim import claim_hold, release_hold
from workflows.operator_actions import ActionFacts, OperatorAction
from workflows.session_attributes import flag
from workflows.session_data import SessionData
from workflows.session_payment_calls import capture, void

# The acquirer says the hold is gone: nothing is left to capture or void.
HOLD_GONE = (ERR_AUTHORIZATION_EXPIRED, ERR_AUTHORIZATION_NOT_FOUND)
_CODES = {
    ERR_ALREADY_CAPTURED: "already_captured",
    ERR_ALREADY_VOIDED: "already_voided",
    ERR_AUTHORIZATION_EXPIRED: "authorization_expired",
    ERR_AUTHORIZATION_NOT_FOUND: "authorization_not_found",
}


def failure_code(kind: str | None) -> str:
    """An acquirer failure as an Attention code: the step's cause, e.g. `authorization_not_found`
    for a 404, `payment_unavailable` only when the acquirer did not answer."""
    if kind in _CODES:
        return _CODES[kind]
    if kind is None or kind == "PaymentUnavailable":
        return "payment_unavailable"
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in kind).lstrip("_")


def unanswered(kind: str | None) -> bool:
    """The acquirer did not answer (or refused our credentials, fixed meanwhile): the same
    call may work later. A refusal of the request itself would only be repeated."""
    return kind in (None, ERR_PAYMENT_UNAVAILABLE, ERR_PAYMENT_CREDENTIALS_REJECTED)


class SessionHold:
    def __init__(self, data: SessionData, config: SessionConfig) -> None:
        self._data = data
        self._config = config
        self._pending: OperatorAction | None = None

    # ------------------------------------------------------------- claim
    async def claim(self, authorization: Authorization) -> bool:
        """True when this session now owns the hold (invariant I1)."""
        if not self._data.hold_claimed:
            self._data.hold_claimed = await claim_hold(
                authorization.authorization_id, authorization.expires_at
            )
        return self._data.hold_claimed

    async def _closed(self) -> None:
        """The hold is captured, voided or gone: free the claim and stop waiting."""
        self._data.waiting_for_operator = False
        auth = self._data.authorization
        if self._data.hold_claimed and auth is not None:
            await release_hold(auth.authorization_id)

    # ------------------------------------------------------------- operators
    def facts(self) -> ActionFacts:
        snapshot = self._data.snapshot
        charge_running = self._data.charge_id is not None and (
            snapshot is None or snapshot.state not in CHARGE_ENDED
        )
        return ActionFacts(
            waiting_for_operator=self._data.waiting_for_operator,
            authorized=self._data.authorization.amount if self._data.authorization else None,
            energy_may_flow=charge_running or self._data.start_outcome_unknown,
            has_settled_price=self._data.settled_price is not None,
        )

    def accept(self, action: OperatorAction) -> None:
        """From the validated update: the waiting loop carries it out."""
        self._pending = action

    def handled(self, request_id: str) -> bool:
        return any(line.startswith(f"{request_id} ") for line in self._data.operator_actions)

    def _record(self, action: OperatorAction) -> None:
        self._data.operator_actions.append(
            f"{action.request_id} {action.operator_user} {action.action}: {action.reason}"
        )

    async def _wait(self, what: str, retry: bool) -> OperatorAction | None:
        """Flagged and holding the hold open: until an operator acts (the action), the next
        retry (None; only when `retry`: the acquirer did not answer, so asking again may
        work, while a refusal would only be repeated), or the hold's expiry (HoldExpired)."""
        self._data.waiting_for_operator = True
        auth = self._data.authorization
        assert auth is not None
        now = workflow.now()
        if now >= auth.expires_at:
            raise HoldExpired()
        # Wall-clock like the retry window: how long an acquirer outage lasts.
        retry_at = now + timedelta(seconds=self._config.payment_retry_interval_s)
        until = min(retry_at, auth.expires_at) if retry else auth.expires_at
        try:
            await workflow.wait_condition(
                lambda: self._pending is not None,
                timeout=max(until - now, timedelta(milliseconds=1)),
                timeout_summary=f"retry {what}",
            )
        except TimeoutError:
            if workflow.now() >= auth.expires_at:
                raise HoldExpired() from None
            return None
        action, self._pending = self._pending, None
        return action

    # ------------------------------------------------------------- capture
    async def capture(self, amount: Money) -> None:
        """Capture `amount` (the settlement's), or leave the hold flagged until it is
        captured, voided, resolved or expired. `uncollected` stays the truth throughout."""
        auth = self._data.authorization
        assert auth is not None
        step = "capture"
        while True:
            try:
                result = await capture(self._config, auth, amount, step)
            except ActivityError as exc:
                kind, _ = error_type(exc)
                self._data.last_error = failure_text(exc)
                flag(self._data, f"capture_failed: {failure_code(kind)}")
                if kind in (*HOLD_GONE, ERR_ALREADY_CAPTURED):
                    # Not ours to capture any more (gone, or captured under another key).
                    self._set_collected(Money(amount_minor=0, currency=amount.currency))
                    return await self._closed()
            else:
                self._data.released = result.released
                self._set_collected(result.captured)
                return await self._closed()
            try:
                action = await self._wait("capture", retry=unanswered(kind))
            except HoldExpired:
                flag(self._data, "hold_expired")
                self._set_collected(Money(amount_minor=0, currency=amount.currency))
                return await self._closed()
            if action is None:
                continue  # the retry timer
            self._record(action)
            if action.action == "capture":
                assert action.amount is not None
                amount, step = action.amount, f"capture/{action.request_id}"
            elif action.action in ("void", "write_off"):
                # Nothing more will be collected: the whole price stays uncollected.
                self._set_collected(Money(amount_minor=0, currency=amount.currency))
                return await self.void()
            elif action.action == "resolve":  # settled outside chargepay
                return await self._closed()

    def recount_uncollected(self) -> None:
        """The settled price changed after the capture (Monta's final price came late)."""
        if self._data.captured is not None:
            self._set_collected(self._data.captured)

    def _set_collected(self, captured: Money) -> None:
        """`uncollected` is the settled price minus what was captured, whatever the cause."""
        self._data.captured = captured
        price = self._data.settled_price
        if price is not None:
            left = max(price.amount_minor - captured.amount_minor, 0)
            self._data.uncollected = Money(amount_minor=left, currency=price.currency)

    # ------------------------------------------------------------- void
    async def void(self) -> None:
        """Release the hold; a void the acquirer will not do keeps the session flagged and
        retrying until it is done, resolved, or the hold has expired."""
        auth = self._data.authorization
        if auth is None:
            return
        while True:
            try:
                self._data.released = (await void(self._config, auth)).released
                self._data.captured = Money(amount_minor=0, currency=auth.amount.currency)
                return await self._closed()
            except ActivityError as exc:
                kind, _ = error_type(exc)
                self._data.last_error = failure_text(exc)
                if kind in (*HOLD_GONE, ERR_ALREADY_VOIDED):
                    self._data.captured = Money(amount_minor=0, currency=auth.amount.currency)
                    return await self._closed()
                flag(self._data, f"void_failed: {failure_code(kind)}")
            try:
                action = await self._wait("void", retry=unanswered(kind))
            except HoldExpired:
                flag(self._data, "hold_expired")
                return await self._closed()
            if action is not None:
                self._record(action)
                if action.action == "resolve":
                    return await self._closed()
                if action.action == "capture":
                    assert action.amount is not None
                    self._data.settled_price = action.amount
                    return await self.capture(action.amount)


class HoldExpired(Exception):
    """The hold expired while the session waited: nothing can be captured or voided."""
