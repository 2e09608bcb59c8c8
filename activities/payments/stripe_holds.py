"""Reconciliation's list of holds on Stripe: the account's PaymentIntents, read page by page.

A Stripe account may hold PaymentIntents that are not chargepay's (a web shop on the same
account, another integration). Reconciliation voids orphan holds, so only intents marked as
chargepay's are listed at all; any other intent is never judged and never voided:
- a card-not-present hold chargepay placed carries `chargepay_hold` in its metadata (set by
  `authorize`, with the hold's idempotency key);
- a card-present hold carries `chargepay_terminal` (the terminal's id), set by the terminal
  integration when it creates the intent (docs/payments.md). An unmarked card-present hold is
  not seen: its session still captures or voids it, but an orphan of it is not found.

Stripe cancels an uncaptured intent itself when its authorization expires, with
`cancellation_reason: automatic`: that is reported `expired`, any other cancel `voided`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from activities.payments import stripe_currency as sc
from activities.payments import stripe_intents as si
from core.money import Money
from workflows.reconciliation_models import HoldRecord

HOLD_MARK = "chargepay_hold"
TERMINAL_MARK = "chargepay_terminal"
PAGE_SIZE = 100  # Stripe's largest page
# A reconciliation window holds far fewer intents; this bounds a listing that never ends.
MAX_PAGES = 1000

# Stripe's statuses of a manual-capture intent that has been a hold; the others
# (requires_payment_method, requires_confirmation, requires_action, processing) never were.
_STATUS = {"requires_capture": "open", "succeeded": "captured", "canceled": "voided"}


def hold_record(pi: dict[str, Any]) -> HoldRecord | None:
    """The hold this intent is, in the protocol's terms; None if it is not chargepay's or
    was never a hold."""
    metadata = pi.get("metadata") or {}
    terminal = metadata.get(TERMINAL_MARK)
    status = _STATUS.get(str(pi.get("status")))
    if status is None or not (metadata.get(HOLD_MARK) or terminal):
        return None
    if status == "voided" and pi.get("cancellation_reason") == "automatic":
        status = "expired"
    currency = str(pi["currency"])
    captured = si.captured_stripe_amount(pi) if status == "captured" else 0
    return HoldRecord(
        authorization_id=str(pi["id"]),
        amount=si.authorized_money(pi),
        status=status,
        captured_minor=_minor(captured, currency),
        refunded_minor=_minor(_refunded_stripe_amount(pi), currency),
        created_at=datetime.fromtimestamp(int(pi["created"]), UTC),
        terminal_id=str(terminal) if terminal else None,
    )


def _refunded_stripe_amount(pi: dict[str, Any]) -> int:
    """Refunds since the capture. Only real Stripe says (it reports `amount_received`):
    localstripe shows the uncaptured remainder of a partial capture as a refund."""
    charge = si.charge_of(pi)
    if pi.get("amount_received") is None or charge is None:
        return 0
    return int(charge.get("amount_refunded") or 0)


def _minor(stripe_amount: int, currency: str) -> int:
    money: Money = sc.from_stripe_amount(stripe_amount, currency)
    return money.amount_minor


async def list_holds(
    list_page: Callable[[dict[str, Any]], Awaitable[Any]],
    created_after: datetime,
    status: str | None = None,
) -> list[HoldRecord]:
    """chargepay's holds created at or after `created_after`, oldest first. `list_page` is
    one `GET /v1/payment_intents` with the given parameters (Stripe answers newest first)."""
    params: dict[str, Any] = {
        "created": {"gte": int(created_after.timestamp())},
        "limit": PAGE_SIZE,
        "expand": ["data.latest_charge"],
    }
    found: list[HoldRecord] = []
    for _ in range(MAX_PAGES):
        page = await list_page(params)
        intents = [pi.to_dict() for pi in page.data]
        records = (hold_record(pi) for pi in intents)
        found.extend(r for r in records if r is not None and status in (None, r.status))
        if not page.has_more or not intents:
            break
        params = {**params, "starting_after": intents[-1]["id"]}
    return sorted(found, key=lambda r: r.created_at)
