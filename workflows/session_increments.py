"""The session's side of incremental authorization: ask for an increment when
workflows/increments.py says it is due, and keep what the acquirer answered.

An increment that fails (declined, unsupported, unanswered within `increment_timeout_s`),
or that a card-scheme rule forbids (workflows/scheme_rules.py), ends increments for the
session: it then stops at the hold it has, as without them. Each increment has its own
idempotency key (`increment/<n>`), and a failed one is never asked again under a new key,
so a timeout after the acquirer committed cannot raise the hold twice; the capture stays
within the hold the session knows. Workflow code only.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError

from core.money import Money
from workflows.activity_errors import error_type, failure_text
from workflows.budget import compute_budget
from workflows.contracts import (
    ERR_INCREMENT_UNSUPPORTED,
    ERR_PAYMENT_DECLINED,
    Authorization,
    HoldIncrement,
    SessionRequest,
)
from workflows.decide import ENDED_STATES, Facts, overshoot_kwh, projected_price_minor
from workflows.hold_claim import extend_hold_claim
from workflows.increments import TopUpFacts, enabled, top_up_amount, top_up_due
from workflows.scheme_rules import refusing_rule
from workflows.session_attributes import upsert_hold_expiry
from workflows.session_data import SessionData
from workflows.session_inbox import SessionInbox
from workflows.session_payment_calls import increment


def _facts(request: SessionRequest, data: SessionData, watch: Facts) -> TopUpFacts | None:
    view, auth = data.view, data.authorization
    if view is None or data.budget is None or data.tariff is None or auth is None:
        return None
    if view.snapshot.state in ENDED_STATES or data.stop_reason is not None:
        return None
    return TopUpFacts(
        authorized=auth.amount,
        budget=data.budget,
        tariff=data.tariff,
        config=request.config,
        consumed_kwh=view.snapshot.consumed_kwh,
        overshoot_kwh=overshoot_kwh(view, request.config),
        power_kw=view.power_kw,
        projected_price_minor=projected_price_minor(watch),
    )


def _ended_by(kind: str | None) -> str:
    if kind == ERR_PAYMENT_DECLINED:
        return "declined"
    if kind == ERR_INCREMENT_UNSUPPORTED:
        return "unsupported"
    return "unanswered"


class TopUps:
    """Increments run beside the session's decisions. While the acquirer has not answered,
    readings are still decided on, so a charge that reaches what the current hold buys is
    stopped at it: the session never waits on the acquirer to stop a charge. Settling
    waits for the answer (at most `increment_timeout_s`), so a capture or a void acts on
    the hold the increment leaves."""

    def __init__(self, request: SessionRequest, data: SessionData, inbox: SessionInbox) -> None:
        self._request, self._data, self._inbox = request, data, inbox
        self._asking: asyncio.Task[None] | None = None

    @property
    def asking(self) -> bool:
        return self._asking is not None and not self._asking.done()

    def ask_if_due(self, watch: Facts) -> None:
        """Before each decision while the charge runs; nothing at all while increments are
        off, or while one is being asked. `watch`: what `decide` is about to be shown."""
        request, data, auth = self._request, self._data, self._data.authorization
        if self._asking is not None and self._asking.done():
            self._asking.result()  # an error no answer explains fails the task, not lost
        if self.asking or data.increments_ended is not None or auth is None:
            return
        if not enabled(request.config, auth.amount):
            return
        facts = _facts(request, data, watch)
        if facts is not None and top_up_due(facts):
            self._asking = asyncio.create_task(self._ask(facts))

    async def _ask(self, facts: TopUpFacts) -> None:
        await _top_up(self._request, self._data, facts)
        self._inbox.note_hold_changed()  # decide again on the hold the answer left

    async def before_settling(self) -> None:
        """Wait for an increment being asked, then ask once more one left unanswered."""
        if self._asking is not None:
            await self._asking
        await recheck_unanswered(self._request, self._data)


async def _top_up(request: SessionRequest, data: SessionData, facts: TopUpFacts) -> None:
    auth = data.authorization
    assert auth is not None
    extra = top_up_amount(facts)
    if extra is None:
        data.increments_ended = "ceiling"
        return
    if not auth.supports_increment:
        data.increments_ended = "unsupported"
        return
    if refusing_rule(auth, workflow.now()) is not None:
        data.increments_ended = "scheme_rule"
        return
    number = len(data.increments) + 1
    try:
        grown = await increment(request.config, auth, extra, number)
    except ActivityError as exc:
        kind, _ = error_type(exc)
        data.last_error = failure_text(exc)
        data.increments_ended = _ended_by(kind)
        if data.increments_ended == "unanswered":
            data.unanswered_increment = extra
        return
    await _applied(request, data, number, extra, grown)


async def recheck_unanswered(request: SessionRequest, data: SessionData) -> None:
    """Before settling: an increment left unanswered may have committed at the acquirer, so
    ask it once more under the same key and body. The acquirer answers the first result (or
    makes it now), and the session settles within the hold the acquirer has instead of the
    smaller one it knew. A second failure changes nothing: the capture stays within the
    known hold, and reconciliation reports a hold that differs."""
    extra, auth = data.unanswered_increment, data.authorization
    if extra is None or auth is None or data.unanswered_rechecked:
        return
    data.unanswered_rechecked = True
    number = len(data.increments) + 1
    try:
        grown = await increment(request.config, auth, extra, number)
    except ActivityError as exc:
        data.last_error = failure_text(exc)
        return
    await _applied(request, data, number, extra, grown)


async def _applied(
    request: SessionRequest, data: SessionData, number: int, extra: Money, grown: Authorization
) -> None:
    before = data.authorization
    later = data.hold_claimed and before is not None and grown.expires_at > before.expires_at
    data.authorization = grown
    upsert_hold_expiry(grown)
    data.increments.append(
        HoldIncrement(
            number=number,
            extra=extra,
            authorized=grown.amount,
            expires_at=grown.expires_at,
            at=workflow.now(),
        )
    )
    assert data.tariff is not None
    data.budget = compute_budget(grown.amount, data.tariff, request.config)
    if not enabled(request.config, grown.amount) and data.increments_ended is None:
        data.increments_ended = "ceiling"
    if later:  # the claim (I1) lasts as long as the hold does
        await extend_hold_claim(grown.authorization_id, grown.expires_at)
