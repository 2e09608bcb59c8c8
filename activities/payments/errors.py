"""Typed outcomes every payment adapter raises; activities.py maps them to ApplicationError.

`error_type` is the `ApplicationError.type` the session workflow branches on
(workflows/contracts.py). Only `PaymentUnavailable` is retryable: a transport failure, a
timeout or a 5xx, retried by Temporal with the same idempotency key.
"""

from __future__ import annotations

from typing import ClassVar

from workflows import contracts as c

# Not in contracts.py: a request the processor rejects as malformed (a bug, not a decline).
ERR_PAYMENT_REQUEST_INVALID = "PaymentRequestInvalid"


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
    error_type = ERR_PAYMENT_REQUEST_INVALID


class PaymentUnavailable(PaymentError):
    error_type = c.ERR_PAYMENT_UNAVAILABLE
    retryable = True
