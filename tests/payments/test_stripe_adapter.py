"""Stripe adapter specifics: what localstripe really answers, and how real Stripe's
documented fields (absent from localstripe) are read. The field-reading tests use
hand-written PaymentIntent dicts shaped like Stripe's API reference: pure logic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from activities.payments import errors as e
from activities.payments import stripe_intents as si
from activities.payments.stripe_adapter import StripeGateway
from core.money import Money
from tests.support.localstripe import API_KEY, LocalStripe
from tests.support.processes import free_port
from workflows.contracts import IncrementInput, VerifyInput


@pytest.mark.integration
async def test_increment_against_localstripe_is_unsupported(localstripe: LocalStripe) -> None:
    pi_id = localstripe.place_card_present_hold(5000, "EUR")
    gateway = StripeGateway(API_KEY, localstripe.url)
    try:
        extra = Money(amount_minor=100, currency="EUR")
        with pytest.raises(e.IncrementUnsupported):
            await gateway.increment(
                IncrementInput(authorization_id=pi_id, extra=extra, idempotency_key="k-inc")
            )
        # verify still works and nothing moved
        auth = await gateway.verify(VerifyInput(authorization_ref=pi_id, idempotency_key="k-v"))
        assert auth.amount.amount_minor == 5000 and auth.supports_increment is False
    finally:
        await gateway.aclose()
    assert localstripe.intent(pi_id)["amount"] == 5000


@pytest.mark.integration
async def test_unreachable_stripe_is_retryable() -> None:
    gateway = StripeGateway(API_KEY, f"http://127.0.0.1:{free_port()}", timeout_s=2.0)
    try:
        with pytest.raises(e.PaymentUnavailable):
            await gateway.verify(VerifyInput(authorization_ref="pi_x", idempotency_key="k"))
    finally:
        await gateway.aclose()


def _real_stripe_intent(**overrides: object) -> dict[str, object]:
    capture_before = int(datetime(2026, 1, 3, tzinfo=UTC).timestamp())
    pi: dict[str, object] = {
        "id": "pi_real",
        "amount": 5000,
        "currency": "eur",
        "created": int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()),
        "status": "requires_capture",
        "amount_received": 0,
        "latest_charge": {
            "captured": False,
            "amount": 5000,
            "payment_method_details": {
                "type": "card_present",
                "card_present": {
                    "brand": "mastercard",
                    "last4": "4444",
                    "capture_before": capture_before,
                    "incremental_authorization": {"status": "available"},
                },
            },
        },
    }
    pi.update(overrides)
    return pi


def test_reads_real_stripe_fields() -> None:
    pi = _real_stripe_intent()
    auth = si.to_authorization(pi, si.card_details(pi), card_present=False)
    assert auth.card_present is True  # payment_method_details wins over the call path
    assert (auth.card_brand, auth.card_last4, auth.supports_increment) == (
        "MASTERCARD",
        "4444",
        True,
    )
    assert auth.expires_at == datetime(2026, 1, 3, tzinfo=UTC)
    assert auth.amount == Money(amount_minor=5000, currency="EUR")


def test_expiry_is_estimated_without_capture_before() -> None:
    pi = _real_stripe_intent(latest_charge=None)
    present = si.to_authorization(pi, si.card_details(pi), card_present=True)
    online = si.to_authorization(pi, si.card_details(pi), card_present=False)
    assert (present.expires_at - datetime(2026, 1, 1, tzinfo=UTC)).total_seconds() == 48 * 3600
    assert (online.expires_at - present.expires_at).days == 5


def test_captured_amount_real_stripe_and_localstripe() -> None:
    assert si.captured_stripe_amount(_real_stripe_intent(amount_received=1234)) == 1234
    localstripe_style = {
        "amount": 5000,
        "latest_charge": {"captured": True, "amount": 5000, "amount_refunded": 3766},
    }
    assert si.captured_stripe_amount(localstripe_style) == 1234


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"status": "succeeded"}, e.AlreadyCaptured),
        ({"status": "canceled", "cancellation_reason": "automatic"}, e.AuthorizationExpired),
        ({"status": "canceled", "cancellation_reason": "requested_by_customer"}, e.AlreadyVoided),
        ({"status": "requires_action"}, e.PaymentDeclined),
        ({"status": "requires_confirmation"}, e.AuthorizationNotFound),
        # still open after a capture/cancel that raised nothing: retry, never "not found"
        ({"status": "requires_capture"}, e.PaymentUnavailable),
    ],
)
def test_state_errors(fields: dict[str, object], error: type[e.PaymentError]) -> None:
    assert isinstance(si.state_error({"id": "pi_1", **fields}), error)


def test_decline_code_from_last_payment_error() -> None:
    failure = {"code": "card_declined", "decline_code": "insufficient_funds", "message": "no"}
    err = si.state_error(
        {"id": "pi_1", "status": "requires_payment_method", "last_payment_error": failure}
    )
    assert isinstance(err, e.PaymentDeclined) and err.decline_code == "insufficient_funds"
