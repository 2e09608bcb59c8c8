"""Refunds through the payment protocol, on both adapters (emulator, localstripe): partial
refunds add up to at most the capture, a repeated key refunds once, nothing captured is
nothing to refund."""

from __future__ import annotations

import pytest

from activities.payments import errors as e
from core.money import Money
from tests.payments.backends import Backend
from tests.payments.test_protocol_suite import capture, held, key
from workflows.contracts import Authorization, RefundInput

pytestmark = pytest.mark.integration


def refund(auth: Authorization, minor: int, idem: str) -> RefundInput:
    money = Money(amount_minor=minor, currency=auth.amount.currency)
    return RefundInput(authorization_id=auth.authorization_id, amount=money, idempotency_key=idem)


async def test_partial_refunds_never_exceed_the_capture(backend: Backend) -> None:
    auth = await held(backend)
    await backend.gateway.capture(capture(auth, 3000, key("capture")))
    first = await backend.gateway.refund(refund(auth, 1000, key("refund-1")))
    assert first.refunded.amount_minor == 1000 and first.refund_id
    with pytest.raises(e.RefundAboveCaptured):
        await backend.gateway.refund(refund(auth, 2001, key("refund-2")))
    rest = await backend.gateway.refund(refund(auth, 2000, key("refund-3")))
    assert rest.refunded.amount_minor == 2000
    with pytest.raises(e.RefundAboveCaptured):
        await backend.gateway.refund(refund(auth, 1, key("refund-4")))


async def test_the_same_key_twice_refunds_once(backend: Backend) -> None:
    auth = await held(backend)
    await backend.gateway.capture(capture(auth, 3000, key("capture")))
    idem = key("refund")
    first = await backend.gateway.refund(refund(auth, 2500, idem))
    again = await backend.gateway.refund(refund(auth, 2500, idem))
    assert first == again
    # Only 2500 went back: 500 is still refundable, 501 is not.
    with pytest.raises(e.RefundAboveCaptured):
        await backend.gateway.refund(refund(auth, 501, key("refund-2")))
    await backend.gateway.refund(refund(auth, 500, key("refund-3")))


async def test_a_hold_never_captured_cannot_be_refunded(backend: Backend) -> None:
    auth = await held(backend)
    with pytest.raises(e.NotCaptured):
        await backend.gateway.refund(refund(auth, 100, key("refund")))
