"""Refunds: the acquirer call, the ledger's records, and the records workflow's contract.

A session's refunds run in one `SessionRecordsWorkflow` per session (`records-<session id>`),
so they are serialized: the total refunded never exceeds what was captured, even when two
operators ask at once. Amounts are integer minor units.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.card_data import TextWithoutCardNumber
from core.money import Money

PAYMENTS_REFUND = "payments_refund"
LEDGER_RECORD_REFUND = "ledger_record_refund"
LEDGER_REFUNDS_OF = "ledger_refunds_of"

SESSION_RECORDS_WORKFLOW = "SessionRecordsWorkflow"
UPDATE_REFUND = "refund"

# The acquirer will not refund more than is left of the capture, or a hold not captured.
ERR_REFUND_ABOVE_CAPTURED = "RefundAboveCaptured"
ERR_NOT_CAPTURED = "NotCaptured"
# The refund workflow's refusals (update validator / handler), surfaced as API errors.
REFUSED_ABOVE_REFUNDABLE = "refund_above_refundable"
REFUSED_KEY_REUSED = "refund_key_reused"
REFUSED_CURRENCY = "currency_mismatch"
REFUSED_BY_ACQUIRER = "refund_refused"

REFUND_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


def records_workflow_id(session_id: str) -> str:
    return f"records-{session_id}"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class RefundInput(_Model):
    authorization_id: str
    amount: Money
    idempotency_key: str


class RefundResult(_Model):
    refund_id: str
    refunded: Money


class RecordsStart(_Model):
    """What the refunds of one completed session start from (the ledger's receipt)."""

    session_id: str
    operator: str
    authorization_id: str
    captured: Money


class RefundRequest(_Model):
    refund_key: str = Field(pattern=REFUND_KEY_PATTERN)
    amount: Money
    reason: TextWithoutCardNumber = Field(min_length=1, max_length=500)
    requested_by: str = Field(max_length=200)
    digest: str = Field(max_length=64)  # of the request body: a reused key with another body


class RefundDone(_Model):
    refund_key: str
    amount: Money
    credit_note_number: int
    acquirer_refund_id: str
    refunded_total: Money  # all refunds of the session so far, this one included
    created_at: datetime


class RecordRefundInput(_Model):
    session_id: str
    operator: str
    refund_key: str
    amount: Money
    reason: str
    requested_by: str
    digest: str
    acquirer_refund_id: str
    created_at: datetime


class RecordedRefund(_Model):
    refund_key: str
    amount: Money
    digest: str
    credit_note_number: int
    acquirer_refund_id: str
    created_at: datetime
