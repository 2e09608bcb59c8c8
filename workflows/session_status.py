"""The session's answer to `status` (and to its updates), built from its state alone."""

from __future__ import annotations

from core.money import Money
from workflows.contracts import SessionRequest, SessionStatus
from workflows.session_data import SessionData
from workflows.session_idle import running_idle, session_idle_rules


def session_status(session_id: str, request: SessionRequest, data: SessionData) -> SessionStatus:
    """A pure projection: a query must not change the state, so it only reads it."""
    snap, budget, auth = data.snapshot, data.budget, data.authorization
    price = snap.price_minor if snap else None
    return SessionStatus(
        session_id=session_id,
        state=data.state,
        operator=request.operator,
        charge_point_id=request.charge_point_id,
        terminal_id=request.terminal_id,
        charge_id=data.charge_id,
        short_code=request.short_code(),
        consumed_kwh=data.consumed_kwh,
        kwh_budget=budget.kwh_budget if budget else None,
        price_budget=budget.price_budget if budget else None,
        # Monta's price is in the request's currency: the tariff and the hold share it.
        price=Money(amount_minor=price, currency=request.amount.currency)
        if price is not None
        else None,
        authorized=auth.amount if auth else None,
        authorization_id=auth.authorization_id if auth else None,
        captured=data.captured,
        released=data.released,
        uncollected=data.uncollected,
        attention=data.attention,
        reason=data.reason,
        last_error=data.last_error,
        started_at=data.accepted_at,
        stop_requested_at=data.stop_requested_at,
        completed_at=data.finished_at,
        updated_at=snap.updated_at if snap else None,
        charge_state=snap.state if snap else None,
        increments=list(data.increments),
        increments_ended=data.increments_ended,
        idle_rules=session_idle_rules(data, request.config),
        idle=running_idle(data, request.config),
    )
