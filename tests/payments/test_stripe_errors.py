"""How the Stripe adapter reads Stripe's refusals on capture and void, driven over real HTTP
against the in-process Stripe stub (localstripe answers none of these shapes): a 400 is
mapped to what it is, never to "not found" while the hold is still open; a rejected API
key (401/403) is retryable and logged as a credential problem; the capture ceiling is
`amount_capturable`."""

from __future__ import annotations

import logging

import pytest

from activities.payments import errors as e
from activities.payments import stripe_intents as si
from activities.payments.activities import to_application_error
from activities.payments.stripe_adapter import StripeGateway
from core.money import Money
from tests.payments.stripe_stub import Script, StripeStub, stripe_error
from workflows.contracts import CaptureInput, VoidInput

PI = "pi_stub_1"


def capture_of(minor: int, key: str = "wf-1/capture", currency: str = "EUR") -> CaptureInput:
    amount = Money(amount_minor=minor, currency=currency)
    return CaptureInput(authorization_id=PI, amount=amount, idempotency_key=key)


def void_of(key: str = "wf-1/void") -> VoidInput:
    return VoidInput(authorization_id=PI, idempotency_key=key)


# ---------------------------------------------------------------- 400 on capture


async def test_capture_400_amount_too_large_is_amount_above_authorized(
    stripe_stub: StripeStub, gateway: StripeGateway
) -> None:
    stripe_stub.seed(PI, 5000, "eur")
    body = stripe_error(
        "invalid_request_error",
        "The specified amount is greater than the maximum amount allowed.",
        "amount_too_large",
        param="amount_to_capture",
    )
    stripe_stub.script(Script("POST", "/capture", 400, body))
    with pytest.raises(e.AmountAboveAuthorized):
        await gateway.capture(capture_of(5000))
    assert stripe_stub.intents[PI]["status"] == "requires_capture"


async def test_capture_400_on_an_open_hold_is_never_not_found(
    stripe_stub: StripeStub, gateway: StripeGateway
) -> None:
    stripe_stub.seed(PI, 5000, "eur")
    body = stripe_error(
        "invalid_request_error",
        "Invalid integer: 12.5",
        "parameter_invalid_integer",
        param="amount_to_capture",
    )
    stripe_stub.script(Script("POST", "/capture", 400, body))
    with pytest.raises(e.PaymentError) as raised:
        await gateway.capture(capture_of(5000))
    err = raised.value
    assert not isinstance(err, e.AuthorizationNotFound), err
    assert isinstance(err, e.PaymentRequestInvalid) and not err.retryable
    # the cause travels with the error: Stripe's code in the details and the message
    assert err.details() == ("parameter_invalid_integer",)
    assert "parameter_invalid_integer" in str(err)
    assert stripe_stub.intents[PI]["status"] == "requires_capture"


async def test_capture_400_intent_captured_by_another_key_is_already_captured(
    stripe_stub: StripeStub, gateway: StripeGateway
) -> None:
    stripe_stub.seed(PI, 5000, "eur")
    captured = {
        "status": "succeeded",
        "amount_received": 5000,
        "amount_capturable": 0,
        "metadata": {si.CAPTURE_KEY: "someone-else/capture"},
    }
    body = stripe_error(
        "invalid_request_error",
        "This PaymentIntent could not be captured because it has a status of succeeded.",
        "payment_intent_unexpected_state",
        payment_intent={**stripe_stub.intents[PI], **captured},
    )
    stripe_stub.script(Script("POST", "/capture", 400, body, then=captured))
    with pytest.raises(e.AlreadyCaptured):
        await gateway.capture(capture_of(5000))


async def test_capture_400_intent_canceled_meanwhile_is_already_voided(
    stripe_stub: StripeStub, gateway: StripeGateway
) -> None:
    stripe_stub.seed(PI, 5000, "eur")
    canceled = {"status": "canceled", "amount_capturable": 0, "cancellation_reason": "abandoned"}
    body = stripe_error(
        "invalid_request_error",
        "This PaymentIntent could not be captured because it has a status of canceled.",
        "payment_intent_unexpected_state",
        payment_intent={**stripe_stub.intents[PI], **canceled},
    )
    stripe_stub.script(Script("POST", "/capture", 400, body, then=canceled))
    with pytest.raises(e.AlreadyVoided):
        await gateway.capture(capture_of(5000))


async def test_void_400_on_an_open_hold_is_never_not_found(
    stripe_stub: StripeStub, gateway: StripeGateway
) -> None:
    stripe_stub.seed(PI, 5000, "eur")
    body = stripe_error("invalid_request_error", "Invalid cancellation_reason", "parameter_invalid")
    stripe_stub.script(Script("POST", "/cancel", 400, body))
    with pytest.raises(e.PaymentRequestInvalid) as raised:
        await gateway.void(void_of())
    assert raised.value.details() == ("parameter_invalid",)
    assert stripe_stub.intents[PI]["status"] == "requires_capture"


# ---------------------------------------------------------------- 401/403: a rotated key


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(401, "invalid_request_error"), (403, "invalid_request_error")],
)
@pytest.mark.parametrize("path_suffix", [PI, "/capture"])
async def test_rejected_api_key_is_retryable_and_the_retry_captures(
    stripe_stub: StripeStub,
    gateway: StripeGateway,
    caplog: pytest.LogCaptureFixture,
    status: int,
    error_type: str,
    path_suffix: str,
) -> None:
    stripe_stub.seed(PI, 5000, "eur")
    message = "Invalid API Key provided: sk_test_****stub"
    method = "GET" if path_suffix == PI else "POST"
    stripe_stub.script(Script(method, path_suffix, status, stripe_error(error_type, message)))
    with caplog.at_level(logging.ERROR), pytest.raises(e.PaymentError) as raised:
        await gateway.capture(capture_of(3000))
    err = raised.value
    assert isinstance(err, e.PaymentCredentialsRejected), err
    assert err.retryable and err.error_type == "PaymentCredentialsRejected"
    assert to_application_error(err).non_retryable is False
    assert any(
        r.levelno >= logging.ERROR and "API key" in r.getMessage() for r in caplog.records
    ), caplog.text
    assert stripe_stub.intents[PI]["status"] == "requires_capture"
    # the key is fixed; Temporal's retry (same idempotency key) captures
    result = await gateway.capture(capture_of(3000))
    assert (result.captured.amount_minor, result.released.amount_minor) == (3000, 2000)
    assert len(stripe_stub.posts("/capture")) == 1 + (path_suffix == "/capture")


# ---------------------------------------------------------------- amount_capturable


async def test_capture_ceiling_is_amount_capturable(
    stripe_stub: StripeStub, gateway: StripeGateway
) -> None:
    # 2000 of the 5000 hold were already captured (multicapture): 3000 remain capturable
    stripe_stub.seed(PI, 5000, "eur", amount_capturable=3000, amount_received=2000)
    with pytest.raises(e.AmountAboveAuthorized):
        await gateway.capture(capture_of(4000))
    assert stripe_stub.posts("/capture") == []
    await gateway.capture(capture_of(3000, key="wf-1/capture-2"))
    assert [s.form["amount_to_capture"] for s in stripe_stub.posts("/capture")] == ["3000"]


def test_capturable_reads_amount_capturable_and_falls_back_to_amount() -> None:
    stripe_style = {"amount": 5000, "currency": "eur", "amount_capturable": 3000}
    assert si.capturable_stripe_amount(stripe_style) == 3000
    localstripe_style = {"amount": 5000, "currency": "eur"}
    assert si.capturable_stripe_amount(localstripe_style) == 5000
