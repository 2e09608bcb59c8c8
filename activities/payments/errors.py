"""Typed outcomes every payment adapter raises; activities.py maps them to ApplicationError.

`error_type` is the `ApplicationError.type` the session workflow branches on
(workflows/contracts.py). Retryable, and retried by Temporal with the same idempotency key:
`PaymentUnavailable` (a transport failure, a timeout, a 5xx) and
`PaymentCredentialsRejected` (the processor refused our API key: an operator fixes the key
and the pending captures then go through instead of being lost).
"""

from __future__ import annotations

from typing import ClassVar

from workflows import contracts as c

# A request the processor rejects as malformed (a bug, not a decline).
ERR_PAYMENT_REQUEST_INVALID = c.ERR_PAYMENT_REQUEST_INVALID
# Not in contracts.py yet (see activities/payments/README.md):
# the processor refused our credential (HTTP 401/403): retryable, and logged as an alert.
ERR_PAYMENT_CREDENTIALS_REJECTED = "PaymentCredentialsRejected"
# an amount the processor cannot represent exactly in its units (refused, never rounded).
ERR_AMOUNT_NOT_REPRESENTABLE = "AmountNotRepresentable"


class PaymentError(Exception):
    error_type: ClassVar[str] = ERR_PAYMENT_REQUEST_INVALID
    retryable: ClassVar[bool] = False

    def details(self) -> tuple[str, ...]:
        return ()


class PaymentDeclined(PaymentError):
    error_type = c.ERR_PAYMENT_DECLINED

    def __init__(self, decline_code: str, message: str = "card declined") -> None:
        super().__init__(f"{message} ({decline_code})")
        self.decline_code = decline_code

    def details(self) -> tuple[str, ...]:
        return (self.decline_code,)


class AuthorizationExpired(PaymentError):
    error_type = c.ERR_AUTHORIZATION_EXPIRED


class AuthorizationNotFound(PaymentError):
    error_type = c.ERR_AUTHORIZATION_NOT_FOUND


class AlreadyCaptured(PaymentError):
    error_type = c.ERR_ALREADY_CAPTURED


class AlreadyVoided(PaymentError):
    error_type = c.ERR_ALREADY_VOIDED


class AmountAboveAuthorized(PaymentError):
    error_type = c.ERR_AMOUNT_ABOVE_AUTHORIZED


class IncrementUnsupported(PaymentError):
    error_type = c.ERR_INCREMENT_UNSUPPORTED


class PaymentRequestInvalid(PaymentError):
    """The processor refused the request as invalid; `code` is its own error code."""

    error_type = ERR_PAYMENT_REQUEST_INVALID

    def __init__(self, message: str = "request refused as invalid", code: str | None = None):
        super().__init__(message)
        self.code = code

    def details(self) -> tuple[str, ...]:
        return (self.code,) if self.code else ()


class AmountNotRepresentable(PaymentError):
    """Our minor units do not map exactly onto the processor's (e.g. Stripe's ISK in
    multiples of 100, three-decimal currencies in multiples of 10)."""

    error_type = ERR_AMOUNT_NOT_REPRESENTABLE


class PaymentCredentialsRejected(PaymentError):
    """401/403: the API key is wrong, rotated or lacks a permission. Retryable: the hold
    stays open and the capture happens once the key is fixed; every refusal is logged."""

    error_type = ERR_PAYMENT_CREDENTIALS_REJECTED
    retryable = True


class PaymentUnavailable(PaymentError):
    error_type = c.ERR_PAYMENT_UNAVAILABLE
    retryable = True


class RefundAboveCaptured(PaymentError):
    """More than is left of the capture (captured minus refunded)."""

    error_type = c.ERR_REFUND_ABOVE_CAPTURED


class NotCaptured(PaymentError):
    """Nothing to refund: the hold was never captured (open, voided, expired)."""

    error_type = c.ERR_NOT_CAPTURED
