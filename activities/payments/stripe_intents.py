"""Reading a Stripe PaymentIntent (as a plain dict) into the protocol's terms. Pure logic.

Amounts on the intent are in Stripe's units; the `*_money` readers convert them to ours
(stripe_currency.py), the `*_stripe_amount` ones leave them in Stripe's.

Real Stripe returns `amount_received`, `latest_charge.payment_method_details.card[_present]`
(brand, last4, `capture_before`, `incremental_authorization`); localstripe returns none of
these, shows a partial capture as a refund of the remainder on the charge, and keeps card
details on the PaymentMethod only. Each reader below uses Stripe's field first and falls
back to what localstripe offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from activities.payments import errors as e
from activities.payments import stripe_currency as sc
from core.money import Money
from workflows.contracts import Authorization

# Stripe's hold windows when `capture_before` is absent: card-present ~48 h, online 7 days.
CARD_PRESENT_WINDOW_S = 48 * 3600.0
CARD_NOT_PRESENT_WINDOW_S = 7 * 24 * 3600.0
CAPTURE_KEY = "chargepay_capture_key"
VOID_KEY = "chargepay_void_key"


@dataclass(frozen=True)
class CardDetails:
    brand: str | None = None
    last4: str | None = None
    capture_before: int | None = None  # unix seconds
    card_present: bool | None = None
    increment_available: bool | None = None  # None: the processor did not say


def charge_of(pi: dict[str, Any]) -> dict[str, Any] | None:
    charge = pi.get("latest_charge")
    return charge if isinstance(charge, dict) else None


def card_details(pi: dict[str, Any]) -> CardDetails:
    details = (charge_of(pi) or {}).get("payment_method_details") or {}
    for kind in ("card_present", "card"):
        card = details.get(kind)
        if isinstance(card, dict):
            incremental = card.get("incremental_authorization")
            return CardDetails(
                brand=card.get("brand"),
                last4=card.get("last4"),
                capture_before=card.get("capture_before"),
                card_present=kind == "card_present",
                increment_available=(
                    incremental.get("status") == "available"
                    if isinstance(incremental, dict)
                    else None
                ),
            )
    return CardDetails()


def authorized_money(pi: dict[str, Any]) -> Money:
    return sc.from_stripe_amount(int(pi["amount"]), str(pi["currency"]))


def capturable_stripe_amount(pi: dict[str, Any]) -> int:
    """The ceiling for `amount_to_capture`, in Stripe's units: `amount_capturable`, which
    Stripe keeps current after partial captures and incremental authorizations, where
    `amount` is the original hold. localstripe omits the field; only there is `amount` read
    instead (it has no partial or incremental flows, so its whole hold is capturable)."""
    if pi.get("amount_capturable") is not None:
        return int(pi["amount_capturable"])
    return int(pi["amount"])


def captured_stripe_amount(pi: dict[str, Any]) -> int:
    """What the intent has captured, in Stripe's units."""
    if pi.get("amount_received") is not None:
        return int(pi["amount_received"])
    charge = charge_of(pi)
    if charge is None or not charge.get("captured"):
        return 0
    if charge.get("amount_captured") is not None:
        return int(charge["amount_captured"])
    # localstripe: the uncaptured remainder shows up as a refund.
    return int(charge["amount"]) - int(charge.get("amount_refunded") or 0)


def captured_money(pi: dict[str, Any]) -> Money:
    return sc.from_stripe_amount(captured_stripe_amount(pi), str(pi["currency"]))


def metadata_key(pi: dict[str, Any], name: str) -> str | None:
    value = (pi.get("metadata") or {}).get(name)
    return str(value) if value is not None else None


def state_error(pi: dict[str, Any]) -> e.PaymentError:
    """Why an intent that is not `requires_capture` cannot be used, as a typed error."""
    status, pid = pi.get("status"), pi.get("id")
    if status == "succeeded":
        return e.AlreadyCaptured(f"{pid} is already captured")
    if status == "canceled":
        if pi.get("cancellation_reason") == "automatic":
            return e.AuthorizationExpired(f"{pid} expired (cancelled by Stripe)")
        return e.AlreadyVoided(f"{pid} is cancelled")
    failure = pi.get("last_payment_error") or {}
    if status == "requires_payment_method" and failure:
        code = failure.get("decline_code") or failure.get("code") or "declined"
        return e.PaymentDeclined(str(code), str(failure.get("message", "declined")))
    if status == "requires_action":
        return e.PaymentDeclined("authentication_required", f"{pid} needs customer action")
    if status == "requires_capture":
        # The hold is open, so it is not "not found": the call's outcome is not visible yet
        # and a retry (same idempotency key) reads the intent again.
        return e.PaymentUnavailable(f"{pid} still requires_capture after the call")
    return e.AuthorizationNotFound(f"{pid} holds no authorization (status {status})")


def to_authorization(pi: dict[str, Any], card: CardDetails, *, card_present: bool) -> Authorization:
    present = card.card_present if card.card_present is not None else card_present
    if card.capture_before is not None:
        expires_at = datetime.fromtimestamp(card.capture_before, UTC)
    else:  # estimated from the network's usual window
        window = CARD_PRESENT_WINDOW_S if present else CARD_NOT_PRESENT_WINDOW_S
        expires_at = datetime.fromtimestamp(int(pi["created"]), UTC) + timedelta(seconds=window)
    return Authorization(
        authorization_id=str(pi["id"]),
        amount=authorized_money(pi),
        expires_at=expires_at,
        authorized_at=datetime.fromtimestamp(int(pi["created"]), UTC),
        card_brand=card.brand.upper() if card.brand else None,
        card_last4=card.last4,
        card_present=present,
        supports_increment=card.increment_available is True,
    )
