"""The one payment protocol every adapter implements (acquirer emulator, Stripe).

Amounts are integer minor units + ISO-4217 currency (`core.money.Money`). Every call
carries an idempotency key (the workflow id + step); a repeat with the same key returns
the first result and never moves money twice. Failures are the typed errors in errors.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from activities.payments.errors import (
    AlreadyCaptured,
    AlreadyVoided,
    AmountAboveAuthorized,
    AuthorizationExpired,
    AuthorizationNotFound,
    IncrementUnsupported,
    NotCaptured,
    PaymentDeclined,
    PaymentError,
    PaymentRequestInvalid,
    PaymentUnavailable,
    RefundAboveCaptured,
)
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
from workflows.reconciliation_models import HoldRecord

__all__ = [
    "AlreadyCaptured",
    "AlreadyVoided",
    "AmountAboveAuthorized",
    "AuthorizationExpired",
    "AuthorizationNotFound",
    "Capabilities",
    "HoldLister",
    "IncrementUnsupported",
    "NotCaptured",
    "PaymentDeclined",
    "PaymentError",
    "PaymentGateway",
    "PaymentRequestInvalid",
    "PaymentUnavailable",
    "RefundAboveCaptured",
]


@dataclass(frozen=True)
class Capabilities:
    """What an adapter can do, declared, so callers and tests never guess."""

    adapter: str
    card_present_verify: bool
    card_not_present_authorize: bool
    increment: bool  # False: increment() always raises IncrementUnsupported
    # "server": the processor replays the first result for a key; "server+adapter": the
    # key is sent and, as well, the adapter reads the payment's state first and replays
    # from it, which keeps capture/void retries safe where the server ignores keys.
    idempotency: Literal["server", "server+adapter"]
    # True: expires_at comes from the processor; False: the adapter estimates it.
    authoritative_expiry: bool
    # True: list_holds() works (reconciliation finds open holds through it).
    list_holds: bool = False
    notes: tuple[str, ...] = ()


@runtime_checkable
class PaymentGateway(Protocol):
    @property
    def capabilities(self) -> Capabilities: ...

    async def verify(self, request: VerifyInput) -> Authorization:
        """Confirm the hold a terminal placed (card-present) and read it back."""
        ...

    async def authorize(self, request: AuthorizeInput) -> Authorization:
        """Place a card-not-present hold from a payment token."""
        ...

    async def capture(self, request: CaptureInput) -> CaptureResult:
        """Capture `amount` <= authorized; the rest of the hold is released."""
        ...

    async def void(self, request: VoidInput) -> VoidResult:
        """Release the whole hold."""
        ...

    async def increment(self, request: IncrementInput) -> Authorization:
        """Raise the hold by `extra`, or raise IncrementUnsupported."""
        ...

    async def refund(self, request: RefundInput) -> RefundResult:
        """Give back `amount` of a captured hold; the total never exceeds the capture."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class HoldLister(Protocol):
    """Optional: the holds the acquirer knows, for reconciliation (`capabilities.list_holds`)."""

    async def list_holds(
        self, created_after: datetime, status: str | None = None
    ) -> list[HoldRecord]: ...
