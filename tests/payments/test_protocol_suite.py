"""One protocol suite over both adapters. Money moved is read from each backend's own
ground truth (emulator truth, localstripe's PaymentIntent), not from the adapter."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from activities.payments import errors as e
from core.money import Money
from tests.payments.backends import Backend
from workflows.contracts import (
    Authorization,
    AuthorizeInput,
    CaptureInput,
    IncrementInput,
    VerifyInput,
    VoidInput,
)

pytestmark = pytest.mark.integration

HELD = Money(amount_minor=5000, currency="EUR")


def key(step: str) -> str:
    return f"session-test-{uuid.uuid4().hex}/{step}"


def require(backend: Backend, case: str) -> None:
    reason = backend.unsupported.get(case)
    if reason is not None:
        pytest.skip(f"{backend.name}: {reason}")


async def held(backend: Backend, amount: Money = HELD) -> Authorization:
    """A card-present hold placed by the terminal, verified by chargepay."""
    ref = backend.place_hold(amount.amount_minor, amount.currency)
    return await backend.gateway.verify(
        VerifyInput(authorization_ref=ref, idempotency_key=key("v"))
    )


def capture(auth: Authorization, minor: int, idem: str) -> CaptureInput:
    money = Money(amount_minor=minor, currency=auth.amount.currency)
    return CaptureInput(authorization_id=auth.authorization_id, amount=money, idempotency_key=idem)


async def test_verify_card_present(backend: Backend) -> None:
    require(backend, "verify")
    auth = await held(backend)
    assert auth.amount == HELD
    assert (auth.card_brand, auth.card_last4, auth.card_present) == ("VISA", "4242", True)
    assert auth.expires_at > datetime.now(UTC)
    truth = backend.truth(auth.authorization_id)
    assert (truth.status, truth.authorized_minor, truth.captured_minor) == ("open", 5000, 0)


async def test_verify_unknown_authorization(backend: Backend) -> None:
    require(backend, "verify")
    with pytest.raises(e.AuthorizationNotFound):
        await backend.gateway.verify(
            VerifyInput(authorization_ref="pi_doesnotexist0000", idempotency_key=key("v"))
        )


async def test_authorize_card_not_present(backend: Backend) -> None:
    require(backend, "authorize")
    present = await held(backend)
    amount = Money(amount_minor=3000, currency="EUR")
    auth = await backend.gateway.authorize(
        AuthorizeInput(payment_token=backend.approve_token, amount=amount, idempotency_key=key("a"))
    )
    assert auth.amount == amount and auth.card_present is False
    assert auth.card_last4 == "4242"
    # card-not-present holds live longer (7 days vs 48 h) and the result says so
    assert auth.expires_at > present.expires_at
    # when the acquirer created each hold, for the scheme rules on increments
    assert present.authorized_at is not None and auth.authorized_at is not None
    assert present.authorized_at <= auth.authorized_at < auth.expires_at
    truth = backend.truth(auth.authorization_id)
    assert (truth.status, truth.authorized_minor) == ("open", 3000)


async def test_full_capture(backend: Backend) -> None:
    require(backend, "full_capture")
    auth = await held(backend)
    result = await backend.gateway.capture(capture(auth, 5000, key("capture")))
    assert (result.captured.amount_minor, result.released.amount_minor) == (5000, 0)
    truth = backend.truth(auth.authorization_id)
    assert (truth.status, truth.captured_minor, truth.captures) == ("captured", 5000, 1)


async def test_partial_capture_releases_the_rest(backend: Backend) -> None:
    require(backend, "partial_capture")
    auth = await held(backend)
    result = await backend.gateway.capture(capture(auth, 1234, key("capture")))
    assert (result.captured.amount_minor, result.released.amount_minor) == (1234, 3766)
    truth = backend.truth(auth.authorization_id)
    assert (truth.status, truth.captured_minor, truth.captures) == ("captured", 1234, 1)


async def test_void_releases_the_hold(backend: Backend) -> None:
    require(backend, "void")
    auth = await held(backend)
    result = await backend.gateway.void(
        VoidInput(authorization_id=auth.authorization_id, idempotency_key=key("void"))
    )
    assert result.released == HELD
    truth = backend.truth(auth.authorization_id)
    assert (truth.status, truth.captured_minor, truth.voids) == ("voided", 0, 1)
    with pytest.raises(e.AlreadyVoided):
        await backend.gateway.capture(capture(auth, 100, key("capture")))
    assert backend.truth(auth.authorization_id).captured_minor == 0


async def test_void_after_capture_is_refused(backend: Backend) -> None:
    require(backend, "void")
    auth = await held(backend)
    await backend.gateway.capture(capture(auth, 2000, key("capture")))
    with pytest.raises(e.AlreadyCaptured):
        await backend.gateway.void(
            VoidInput(authorization_id=auth.authorization_id, idempotency_key=key("void"))
        )
    truth = backend.truth(auth.authorization_id)
    assert (truth.status, truth.captured_minor, truth.voids) == ("captured", 2000, 0)


async def test_decline(backend: Backend) -> None:
    require(backend, "decline")
    open_before = backend.open_holds()
    request = AuthorizeInput(
        payment_token=backend.decline_token, amount=HELD, idempotency_key=key("a")
    )
    with pytest.raises(e.PaymentDeclined) as declined:
        await backend.gateway.authorize(request)
    assert declined.value.decline_code == backend.decline_code
    assert backend.open_holds() == open_before


async def test_expired_hold_cannot_be_captured(backend: Backend) -> None:
    require(backend, "expired_hold")
    auth = await held(backend)
    backend.expire(auth.authorization_id)
    with pytest.raises(e.AuthorizationExpired):
        await backend.gateway.capture(capture(auth, 5000, key("capture")))
    with pytest.raises(e.AuthorizationExpired):
        await backend.gateway.verify(
            VerifyInput(authorization_ref=auth.authorization_id, idempotency_key=key("v"))
        )
    truth = backend.truth(auth.authorization_id)
    assert (truth.status, truth.captured_minor) == ("expired", 0)


async def test_capture_above_authorized_is_refused(backend: Backend) -> None:
    require(backend, "capture_above_authorized")
    auth = await held(backend)
    with pytest.raises(e.AmountAboveAuthorized):
        await backend.gateway.capture(capture(auth, 5001, key("capture-over")))
    truth = backend.truth(auth.authorization_id)
    assert (truth.status, truth.captured_minor) == ("open", 0)
    # the refusal left the hold usable
    await backend.gateway.capture(capture(auth, 5000, key("capture")))
    assert backend.truth(auth.authorization_id).captured_minor == 5000


async def test_same_idempotency_key_twice_moves_money_once(backend: Backend) -> None:
    require(backend, "same_key_twice")
    auth = await held(backend)
    idem = key("capture")
    first = await backend.gateway.capture(capture(auth, 3000, idem))
    second = await backend.gateway.capture(capture(auth, 3000, idem))
    assert first == second
    truth = backend.truth(auth.authorization_id)
    assert (truth.captured_minor, truth.captures) == (3000, 1)
    with pytest.raises(e.AlreadyCaptured):  # another key is another capture: refused
        await backend.gateway.capture(capture(auth, 3000, key("capture-2")))
    assert backend.truth(auth.authorization_id).captures == 1


async def test_timeout_after_commit_then_retry_moves_money_once(backend: Backend) -> None:
    require(backend, "timeout_after_commit")
    auth = await held(backend)
    idem = key("capture")
    backend.stall_next_capture()
    impatient = backend.short_timeout_gateway()
    try:
        with pytest.raises(e.PaymentUnavailable):
            await impatient.capture(capture(auth, 4000, idem))
    finally:
        await impatient.aclose()
    # the outcome was unknown to the caller, but the capture did happen
    assert backend.truth(auth.authorization_id).captured_minor == 4000
    retried = await backend.gateway.capture(capture(auth, 4000, idem))
    assert (retried.captured.amount_minor, retried.released.amount_minor) == (4000, 1000)
    truth = backend.truth(auth.authorization_id)
    assert (truth.status, truth.captured_minor, truth.captures) == ("captured", 4000, 1)


async def test_increment_raises_the_hold(backend: Backend) -> None:
    require(backend, "increment")
    auth = await held(backend)
    extra = Money(amount_minor=1500, currency="EUR")
    request = IncrementInput(
        authorization_id=auth.authorization_id, extra=extra, idempotency_key=key("inc")
    )
    raised = await backend.gateway.increment(request)
    assert raised.amount.amount_minor == 6500
    assert (await backend.gateway.increment(request)).amount.amount_minor == 6500  # replay
    assert backend.truth(auth.authorization_id).authorized_minor == 6500
    await backend.gateway.capture(capture(auth, 6500, key("capture")))
    assert backend.truth(auth.authorization_id).captured_minor == 6500
