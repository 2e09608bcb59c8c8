"""Refunds on Stripe: a Refund of the PaymentIntent's capture, with the session's key.

Checked first against the intent (captured, same currency, at most what is left after
earlier refunds), so a refusal is typed instead of Stripe's generic 400. The key is sent as
`Idempotency-Key` and kept in the Refund's metadata: a retry finds the Refund it made even
where the server ignores keys (localstripe), so money is never given back twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import stripe

from activities.payments import errors as e
from activities.payments import stripe_currency as sc
from activities.payments import stripe_intents as si
from workflows.contracts import RefundInput, RefundResult

REFUND_KEY = "chargepay_refund_key"


async def _ours(refunds: Any, intent_id: str) -> list[dict[str, Any]]:
    """The intent's refunds chargepay made (localstripe also lists a partial capture's
    released remainder as a refund: that one carries no key of ours)."""
    listed = await refunds.list_async({"payment_intent": intent_id, "limit": 100})
    found = [r.to_dict() for r in listed.data]
    return [r for r in found if (r.get("metadata") or {}).get(REFUND_KEY)]


def _captured(pi: dict[str, Any], ours_total: int) -> int:
    """What the intent captured, in Stripe's units, whatever was refunded since."""
    if pi.get("amount_received") is not None:
        return int(pi["amount_received"])
    charge = si.charge_of(pi) or {}
    if charge.get("amount_captured") is not None:
        return int(charge["amount_captured"])
    # localstripe: `amount_refunded` counts a partial capture's released rest and our refunds.
    refunded = int(charge.get("amount_refunded") or 0)
    return int(charge.get("amount") or 0) - (refunded - ours_total)


def _result(refund: dict[str, Any], currency: str) -> RefundResult:
    refunded = sc.from_stripe_amount(int(refund["amount"]), currency)
    return RefundResult(refund_id=str(refund["id"]), refunded=refunded)


async def refund(
    client: stripe.StripeClient,
    load: Callable[[str], Awaitable[dict[str, Any]]],
    call: Callable[[Awaitable[Any]], Awaitable[Any]],
    request: RefundInput,
) -> RefundResult:
    refunds = client.v1.refunds
    pi = await load(request.authorization_id)
    currency = request.amount.currency
    ours = await call(_ours(refunds, str(pi["id"])))
    for done in ours:
        if done["metadata"][REFUND_KEY] == request.idempotency_key:
            return _result(done, currency)
    if pi.get("status") != "succeeded":
        raise e.NotCaptured(f"{pi['id']} is {pi.get('status')}: nothing captured to refund")
    captured = si.captured_money(pi)
    if currency != captured.currency:
        raise e.PaymentRequestInvalid(f"refund in {currency} of a {captured.currency} capture")
    amount = sc.to_stripe_amount(request.amount)
    ours_total = sum(int(r["amount"]) for r in ours)
    left = _captured(pi, ours_total) - ours_total
    if amount > left:
        raise e.RefundAboveCaptured(f"{request.amount} exceeds what {pi['id']} can refund")
    params: Any = {
        "payment_intent": str(pi["id"]),
        "amount": amount,
        "metadata": {REFUND_KEY: request.idempotency_key},
    }
    created = await call(refunds.create_async(params, {"idempotency_key": request.idempotency_key}))
    return _result(created.to_dict(), currency)
