"""The session's live summary in the Temporal UI (state, kWh against budget, price, power,
the hold and each increment, captured amount, attention): current details, so a tick adds
no history event."""

from __future__ import annotations

from temporalio import workflow

from core.money import Money
from workflows.session_data import SessionData


def live_summary(data: SessionData) -> str:
    """The idle minutes show once settled (docs/idle-fees.md); the status has them live."""
    lines = [f"state **{data.state}**"]
    if data.budget:
        lines.append(f"{data.consumed_kwh} / {data.budget.kwh_budget} kWh")
        snap = data.snapshot
        if snap and snap.price_minor is not None:
            price = Money(amount_minor=snap.price_minor, currency=data.budget.price_budget.currency)
            lines.append(f"price {price} / budget {data.budget.price_budget}")
        if data.view and data.view.power_kw is not None:
            lines.append(f"{data.view.power_kw} kW")
    if data.idle is not None and data.idle.minutes:
        idle = data.idle
        cur = data.budget.price_budget.currency if data.budget else ""
        by = "in Monta's price" if idle.source == "monta" else "added"
        lines.append(
            f"idle {idle.minutes} min, fee {Money(amount_minor=idle.fee_minor, currency=cur)} {by}"
        )
    hold = _hold(data)
    if hold:
        lines.append(hold)
    if data.captured is not None:
        lines.append(f"captured {data.captured}")
    if data.attention:
        lines.append(f"attention: {data.attention}")
    return " · ".join(lines)


def _hold(data: SessionData) -> str | None:
    """With increments: the first hold plus each increment, and why they ended."""
    auth = data.authorization
    if auth is None or not (data.increments or data.increments_ended):
        return None
    first = auth.amount.amount_minor - sum(i.extra.amount_minor for i in data.increments)
    steps = [Money(amount_minor=first, currency=auth.amount.currency)]
    steps += [i.extra for i in data.increments]
    text = "hold " + " + ".join(str(m) for m in steps)
    if data.increments:
        text += f" = {auth.amount}"
    if data.increments_ended:
        text += f" (increments ended: {data.increments_ended})"
    return text


def publish_live_summary(data: SessionData) -> None:
    """Workflow code only: sets the running workflow's current details."""
    workflow.set_current_details(live_summary(data))
