"""The session's first two steps: the hold (verified or placed, then claimed) and the price.

Each returns None to go on, or the final state and reason to end in. Nothing is sent to
Monta before the hold is known to be this session's (invariant I1), and a refused claim
leaves the hold alone: it pays for another session. Workflow code only.
"""

from __future__ import annotations

from temporalio.exceptions import ActivityError

from workflows.activity_errors import error_type, failure_text
from workflows.budget import BudgetRejected, compute_budget
from workflows.charge_point_claim import claim_charge_point, release_charge_point
from workflows.contracts import (
    ERR_PAYMENT_DECLINED,
    FINAL_STATES,
    SessionRequest,
    SessionStateName,
)
from workflows.session_attributes import flag, upsert_card
from workflows.session_data import SessionData
from workflows.session_hold import HOLD_GONE, SessionHold, failure_code
from workflows.session_monta_calls import read_tariff
from workflows.session_payment_calls import reserve

Ending = tuple[SessionStateName, str]


async def reserve_and_claim(
    request: SessionRequest, data: SessionData, hold: SessionHold
) -> Ending | None:
    if request.paying_team_id is None:
        # The API fills in the operator's default team; a bare start must name one.
        data.last_error = "no paying team: set paying_team_id"
        return "rejected", "paying_team_missing"
    step = "verify" if request.authorization_ref is not None else "authorize"
    if step == "authorize" and not data.charge_point_claimed:
        # Before a hold is placed: a point another token session holds places none.
        if not await claim_charge_point(request.operator, request.charge_point_id):
            data.last_error = f"charge point {request.charge_point_id} is in use"
            return "start_failed", "charge_point_in_use"
        data.charge_point_claimed = True
    try:
        authorization = await reserve(request)
    except ActivityError as exc:
        kind, detail = error_type(exc)
        data.last_error = failure_text(exc)
        if kind == ERR_PAYMENT_DECLINED:
            return "declined", detail or "payment_declined"
        if kind not in HOLD_GONE:  # the acquirer did not answer: a hold may exist
            flag(data, f"{step}_failed: {failure_code(kind)}")
        return "declined", failure_code(kind)
    if not await hold.claim(authorization):
        data.last_error = f"hold {authorization.authorization_id} pays for another session"
        return "rejected", "authorization_in_use"
    data.authorization = authorization
    upsert_card(request, data)
    return None


async def price_and_budget(request: SessionRequest, data: SessionData) -> Ending | None:
    """The caller voids the (claimed) hold when this ends the session."""
    try:
        quote = request.tariff or await read_tariff(request)
    except ActivityError as exc:
        data.last_error = failure_text(exc)
        return "rejected", "tariff_unavailable"
    data.charge_point, data.tariff = quote.charge_point, quote.tariff
    assert data.authorization is not None
    try:
        data.budget = compute_budget(data.authorization.amount, quote.tariff, request.config)
    except BudgetRejected as exc:
        data.last_error = str(exc)
        return "rejected", exc.code
    return None


async def release_point_if_done(request: SessionRequest, data: SessionData) -> None:
    """The charge point's claim goes once the charge is over or the session is final."""
    done = data.state in FINAL_STATES or data.state == "settling"
    if data.charge_point_claimed and done:
        await release_charge_point(request.operator, request.charge_point_id)
        data.charge_point_claimed = False
