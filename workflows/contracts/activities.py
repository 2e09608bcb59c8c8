"""The contract between workflows and activities: names and typed inputs/outputs.

Pure pydantic models (no I/O), imported by the workflow sandbox, the activities, the
worker and the API. Amounts are integer minor units + ISO-4217 currency; kWh are Decimal.
Change a name here and every side changes with it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.card_data import TextWithoutCardNumber
from core.money import Money

# ---------------------------------------------------------------- activity names
# Monta activities run on the operator's own task queue `monta-<operator>`.
MONTA_GET_TARIFF = "monta_get_tariff"
MONTA_START_CHARGE = "monta_start_charge"
MONTA_FIND_CHARGE = "monta_find_charge"
MONTA_GET_CHARGE = "monta_get_charge"
MONTA_STOP_CHARGE = "monta_stop_charge"
MONTA_FIND_CHARGES_UPDATED_SINCE = "monta_find_charges_updated_since"
MONTA_ATTACH_PAYMENT = "monta_attach_payment"
MONTA_GET_CHARGE_TRANSACTIONS = "monta_get_charge_transactions"
# The stop as a local activity on the session worker: never queued behind polls or starts.
MONTA_STOP_CHARGE_LOCAL = "monta_stop_charge_local"

# Payment activities run on the session task queue.
PAYMENTS_VERIFY = "payments_verify"
PAYMENTS_AUTHORIZE = "payments_authorize"
PAYMENTS_CAPTURE = "payments_capture"
PAYMENTS_VOID = "payments_void"
PAYMENTS_INCREMENT = "payments_increment"

# ---------------------------------------------------------------- error types
# `ApplicationError.type` values the workflow branches on. Non-retryable unless noted.
ERR_MONTA_CLIENT = "MontaClientError"  # 4xx other than 408/409/429; details[0] = errorCode
ERR_MONTA_RATE_LIMITED = "MontaRateLimited"  # retryable, next_retry_delay from ResetsIn
ERR_MONTA_UNAVAILABLE = "MontaUnavailable"  # retryable: 5xx, transport, timeout
ERR_CHARGE_POINT_UNAVAILABLE = "ChargePointUnavailable"  # busy/offline/unknown at start
ERR_PAYMENT_DECLINED = "PaymentDeclined"  # details[0] = decline code
ERR_AUTHORIZATION_EXPIRED = "AuthorizationExpired"
ERR_AUTHORIZATION_NOT_FOUND = "AuthorizationNotFound"
ERR_ALREADY_CAPTURED = "AlreadyCaptured"
ERR_ALREADY_VOIDED = "AlreadyVoided"
ERR_AMOUNT_ABOVE_AUTHORIZED = "AmountAboveAuthorized"
ERR_INCREMENT_UNSUPPORTED = "IncrementUnsupported"
ERR_PAYMENT_UNAVAILABLE = "PaymentUnavailable"  # retryable: 5xx, transport, timeout
ERR_PAYMENT_REQUEST_INVALID = "PaymentRequestInvalid"  # malformed request, zero capture
# Stripe refused chargepay's API key (rotated?): retryable, the credential is fixed meanwhile.
ERR_PAYMENT_CREDENTIALS_REJECTED = "PaymentCredentialsRejected"
ERR_AMOUNT_NOT_REPRESENTABLE = "AmountNotRepresentable"  # not exact in the acquirer's unit


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


# ---------------------------------------------------------------- Monta side
class Tariff(_Model):
    """A charge point's ad-hoc price, frozen for a session. Prices are net of VAT."""

    price_group_id: int | None = None
    currency: str
    start_fee_minor: int = 0
    per_kwh_minor: int
    per_minute_minor: int = 0
    per_minute_after_minutes: int = 0  # charging-time fee starts after N minutes
    idle_per_minute_minor: int = 0
    idle_after_minutes: int = 0  # idle fee starts N minutes after charging ended
    idle_cap_minor: int = 0  # 0 = no cap
    vat_rate: Decimal = Decimal("0")  # 0.25 = 25 %


class ChargePointInfo(_Model):
    id: int
    name: str = ""
    state: str  # Monta's ChargePoint.state (available, busy, ...), unknown values kept
    available: bool
    kind: Literal["ac", "dc"] | None = None
    max_kw: Decimal | None = None
    price_group_id: int | None = None
    # Where it is, for the driver's receipt (Monta's location); the country picks the
    # receipt's time zone (receipts/time_zone.py).
    address: str = ""
    country: str | None = None


class TariffQuote(_Model):
    charge_point: ChargePointInfo
    tariff: Tariff


class GetTariffInput(_Model):
    operator: str
    charge_point_id: int


class PaymentSessionInfo(_Model):
    """What Monta's `genericPaymentSession` needs for the driver's receipt."""

    provider: str
    external_id: str  # the short code the terminal shows
    card_brand: str | None = None
    card_last4: str | None = None


# Monta charge states between the end of energy and `completed`: once in one, a session
# only waits for `completed` (the steps in between change nothing it does).
CHARGE_WINDING_DOWN: frozenset[str] = frozenset({"stopping", "stopped", "releasing", "released"})
# Monta charge states in which the charge no longer draws energy on its own.
CHARGE_ENDED: frozenset[str] = CHARGE_WINDING_DOWN | {"completed"}


class ChargeSnapshot(_Model):
    """The part of Monta's Charge object a session decides on (kept small for history)."""

    charge_id: int
    state: str  # Monta ChargeStateDto value; unknown values kept as-is
    consumed_kwh: Decimal = Decimal("0")
    price_minor: int | None = None  # Monta `price` converted with the money-unit setting
    currency: str | None = None  # upper-case ISO code
    kwh_limit: Decimal | None = None
    updated_at: datetime
    cable_plugged_in_at: datetime | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    completed_at: datetime | None = None
    fully_charged_at: datetime | None = None  # energy stopped: the car is full
    released_at: datetime | None = None  # unplugged (chargers with release detection only)
    failed_at: datetime | None = None
    timeout_at: datetime | None = None
    failure_reason: str | None = None
    stop_reason: str | None = None
    partner_external_id: str | None = None
    charge_point_id: int | None = None


class StartChargeInput(_Model):
    operator: str
    charge_point_id: int
    paying_team_id: int
    partner_external_id: str  # = session workflow id; the lookup key on unknown outcome
    kwh_limit: Decimal  # already clamped to Monta's 1..500
    price_limit_minor: int | None = None
    currency: str
    price_group_id: int | None = None
    payment_session: PaymentSessionInfo


class ChargeRef(_Model):
    operator: str
    charge_id: int


class FindChargeInput(_Model):
    operator: str
    partner_external_id: str


class FindChargesUpdatedSinceInput(_Model):
    operator: str
    since: datetime
    max_pages: int = 50


class FindChargesUpdatedSinceResult(_Model):
    charges: list[ChargeSnapshot]
    newest_updated_at: datetime | None = None


class AttachPaymentInput(_Model):
    operator: str
    charge_id: int
    payment_session: PaymentSessionInfo
    captured: Money


class WalletTransactionSummary(_Model):
    id: int
    state: str
    group: str | None = None
    kind: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    reference_id: str | None = None


# ---------------------------------------------------------------- payments side
class Authorization(_Model):
    authorization_id: str
    amount: Money  # authorized (held) amount
    expires_at: datetime
    authorized_at: datetime | None = None  # when the acquirer created the hold, if it says
    card_brand: str | None = None
    card_last4: str | None = None
    card_present: bool = True
    supports_increment: bool = False


class VerifyInput(_Model):
    authorization_ref: str  # the hold the terminal placed (card-present)
    idempotency_key: str


class AuthorizeInput(_Model):
    payment_token: str  # a vault token/reference (never a PAN)
    amount: Money
    idempotency_key: str


class CaptureInput(_Model):
    authorization_id: str
    amount: Money  # <= authorized; the rest is released
    idempotency_key: str


class CaptureResult(_Model):
    captured: Money
    released: Money


class VoidInput(_Model):
    authorization_id: str
    idempotency_key: str


class VoidResult(_Model):
    released: Money


class IncrementInput(_Model):
    authorization_id: str
    extra: Money
    idempotency_key: str


class IncrementResult(_Model):
    authorization: Authorization


# ---------------------------------------------------------------- session (API <-> workflow)
SESSION_WORKFLOW = "ChargeSessionWorkflow"
SIGNAL_CHARGE_UPDATED = "charge_updated"
QUERY_STATUS = "status"
UPDATE_WAIT_ACCEPTED = "wait_accepted"
UPDATE_REQUEST_STOP = "request_stop"

SessionStateName = Literal[
    "pricing",
    "authorizing",
    "starting",
    "charging",
    "stopping",
    "settling",
    "completed",
    "voided",
    "declined",
    "start_failed",
    "rejected",
]
FINAL_STATES: frozenset[str] = frozenset(
    {"completed", "voided", "declined", "start_failed", "rejected"}
)


def session_workflow_id(operator: str, terminal_id: str, terminal_transaction_id: str) -> str:
    return f"session-{operator}-{terminal_id}-{terminal_transaction_id}"


class StopRequest(_Model):
    reason: TextWithoutCardNumber = Field(default="terminal", max_length=200)
