"""Temporal activities over one PaymentGateway: typed payment errors -> ApplicationError.

Declines, expired/unknown authorizations, "already captured/voided", amounts above the
hold and unsupported increments are non-retryable (the workflow decides); transport
failures, timeouts and 5xx (`PaymentUnavailable`) are retryable, and Temporal retries
them with the same idempotency key, so money never moves twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.payments.errors import PaymentError
from activities.payments.protocol import PaymentGateway
from workflows import contracts as c
from workflows.contracts import (
    Authorization,
    AuthorizeInput,
    CaptureInput,
    CaptureResult,
    IncrementInput,
    IncrementResult,
    RefundInput,
    RefundResult,
    VerifyInput,
    VoidInput,
    VoidResult,
)

T = TypeVar("T")


def to_application_error(exc: PaymentError) -> ApplicationError:
    return ApplicationError(
        str(exc) or type(exc).__name__,
        *exc.details(),
        type=exc.error_type,
        non_retryable=not exc.retryable,
    )


async def _mapped(call: Awaitable[T]) -> T:
    try:
        return await call
    except PaymentError as exc:
        activity.logger.info("payment call failed: %s %s", exc.error_type, exc)
        raise to_application_error(exc) from exc


class PaymentActivities:
    def __init__(self, gateway: PaymentGateway) -> None:
        self._gateway = gateway

    @activity.defn(name=c.PAYMENTS_VERIFY)
    async def verify(self, request: VerifyInput) -> Authorization:
        return await _mapped(self._gateway.verify(request))

    @activity.defn(name=c.PAYMENTS_AUTHORIZE)
    async def authorize(self, request: AuthorizeInput) -> Authorization:
        return await _mapped(self._gateway.authorize(request))

    @activity.defn(name=c.PAYMENTS_CAPTURE)
    async def capture(self, request: CaptureInput) -> CaptureResult:
        return await _mapped(self._gateway.capture(request))

    @activity.defn(name=c.PAYMENTS_VOID)
    async def void(self, request: VoidInput) -> VoidResult:
        return await _mapped(self._gateway.void(request))

    @activity.defn(name=c.PAYMENTS_INCREMENT)
    async def increment(self, request: IncrementInput) -> IncrementResult:
        authorization = await _mapped(self._gateway.increment(request))
        return IncrementResult(authorization=authorization)

    @activity.defn(name=c.PAYMENTS_REFUND)
    async def refund(self, request: RefundInput) -> RefundResult:
        return await _mapped(self._gateway.refund(request))

    def all(self) -> list[Callable[..., Any]]:
        """The activity callables to register on a worker."""
        return [self.verify, self.authorize, self.capture, self.void, self.increment, self.refund]
