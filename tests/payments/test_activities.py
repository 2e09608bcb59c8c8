"""Payment activities under temporalio's ActivityEnvironment: typed errors become the
ApplicationError types (and retryability) the session workflow branches on."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.payments import errors as e
from activities.payments.activities import PaymentActivities
from activities.payments.emulator_adapter import CAPABILITIES, EmulatorGateway
from activities.payments.factory import build_gateway
from activities.payments.protocol import Capabilities, PaymentGateway
from activities.payments.stripe_adapter import StripeGateway
from core.money import Money
from settings import Settings
from tests.support.acquirer import AcquirerEmulator
from tests.support.processes import free_port
from workflows import contracts as c
from workflows.contracts import (
    Authorization,
    AuthorizeInput,
    CaptureInput,
    CaptureResult,
    IncrementInput,
    RefundInput,
    RefundResult,
    VerifyInput,
    VoidInput,
    VoidResult,
)

EUR_10 = Money(amount_minor=1000, currency="EUR")


class RaisingGateway:
    """A gateway whose every call raises one given error: the mapping is pure logic."""

    def __init__(self, error: e.PaymentError) -> None:
        self.error = error

    @property
    def capabilities(self) -> Capabilities:
        return CAPABILITIES

    async def verify(self, request: VerifyInput) -> Authorization:
        raise self.error

    async def authorize(self, request: AuthorizeInput) -> Authorization:
        raise self.error

    async def capture(self, request: CaptureInput) -> CaptureResult:
        raise self.error

    async def void(self, request: VoidInput) -> VoidResult:
        raise self.error

    async def increment(self, request: IncrementInput) -> Authorization:
        raise self.error

    async def refund(self, request: RefundInput) -> RefundResult:
        raise self.error

    async def aclose(self) -> None:
        return None


@pytest.mark.parametrize(
    ("error", "type_", "retryable", "details"),
    [
        (
            e.PaymentDeclined("insufficient_funds"),
            c.ERR_PAYMENT_DECLINED,
            False,
            ["insufficient_funds"],
        ),
        (e.AuthorizationExpired("x"), c.ERR_AUTHORIZATION_EXPIRED, False, []),
        (e.AuthorizationNotFound("x"), c.ERR_AUTHORIZATION_NOT_FOUND, False, []),
        (e.AlreadyCaptured("x"), c.ERR_ALREADY_CAPTURED, False, []),
        (e.AlreadyVoided("x"), c.ERR_ALREADY_VOIDED, False, []),
        (e.AmountAboveAuthorized("x"), c.ERR_AMOUNT_ABOVE_AUTHORIZED, False, []),
        (e.IncrementUnsupported("x"), c.ERR_INCREMENT_UNSUPPORTED, False, []),
        (e.PaymentRequestInvalid("x"), e.ERR_PAYMENT_REQUEST_INVALID, False, []),
        (e.PaymentUnavailable("x"), c.ERR_PAYMENT_UNAVAILABLE, True, []),
    ],
)
async def test_errors_map_to_application_errors(
    error: e.PaymentError, type_: str, retryable: bool, details: list[str]
) -> None:
    acts = PaymentActivities(RaisingGateway(error))
    calls: list[tuple[Callable[..., Any], object]] = [
        (acts.verify, VerifyInput(authorization_ref="r", idempotency_key="k")),
        (acts.authorize, AuthorizeInput(payment_token="t", amount=EUR_10, idempotency_key="k")),
        (acts.capture, CaptureInput(authorization_id="a", amount=EUR_10, idempotency_key="k")),
        (acts.void, VoidInput(authorization_id="a", idempotency_key="k")),
        (acts.increment, IncrementInput(authorization_id="a", extra=EUR_10, idempotency_key="k")),
    ]
    for fn, arg in calls:
        with pytest.raises(ApplicationError) as raised:
            await ActivityEnvironment().run(fn, arg)
        assert raised.value.type == type_
        assert raised.value.non_retryable is not retryable
        assert list(raised.value.details) == details


@pytest.mark.integration
async def test_activities_against_the_emulator(acquirer: AcquirerEmulator) -> None:
    acts = PaymentActivities(EmulatorGateway(acquirer.url))
    env = ActivityEnvironment()
    ref = acquirer.place_hold("term-act", 2500, "EUR")
    auth = await env.run(acts.verify, VerifyInput(authorization_ref=ref, idempotency_key="v"))
    assert auth.amount.amount_minor == 2500 and auth.expires_at > datetime.now(UTC)
    money = Money(amount_minor=2000, currency="EUR")
    key = f"session-act-{uuid.uuid4().hex}/capture"
    result = await env.run(
        acts.capture, CaptureInput(authorization_id=ref, amount=money, idempotency_key=key)
    )
    assert result.released.amount_minor == 500
    token = "tok_chargeDeclinedExpiredCard"
    with pytest.raises(ApplicationError) as raised:
        await env.run(
            acts.authorize,
            AuthorizeInput(payment_token=token, amount=money, idempotency_key=uuid.uuid4().hex),
        )
    assert raised.value.type == c.ERR_PAYMENT_DECLINED and raised.value.details == ("expired_card",)
    assert acquirer.hold(ref)["captures"][0]["amount_minor"] == 2000


async def test_unreachable_acquirer_is_retryable() -> None:
    acts = PaymentActivities(EmulatorGateway(f"http://127.0.0.1:{free_port()}", timeout_s=2.0))
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(
            acts.void, VoidInput(authorization_id="auth_x", idempotency_key="k")
        )
    assert raised.value.type == c.ERR_PAYMENT_UNAVAILABLE and not raised.value.non_retryable


def test_factory_builds_the_configured_adapter() -> None:
    gateway: PaymentGateway = build_gateway(Settings(payments_adapter="emulator"))
    assert isinstance(gateway, EmulatorGateway)
    stripe = build_gateway(Settings(payments_adapter="stripe", stripe_api_key="sk_test_x"))
    assert isinstance(stripe, StripeGateway) and stripe.capabilities.adapter == "stripe"
    with pytest.raises(ValueError, match="STRIPE_API_KEY"):
        build_gateway(Settings(payments_adapter="stripe", stripe_api_key=""))
