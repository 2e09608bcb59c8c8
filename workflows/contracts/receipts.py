"""What the session hands the ledger when it completes: the facts its receipt is made of.

All of it is what the session already knows (no new reads): the frozen tariff (the price
shown before the start), the hold (card brand and last 4 as the acquirer reported them),
Monta's final snapshot, and what was captured and released.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.money import Money
from workflows.contracts.activities import Authorization, ChargePointInfo, ChargeSnapshot, Tariff
from workflows.contracts.idle import IdleFee, IdleRules

LEDGER_WRITE_RECEIPT = "ledger_write_receipt"
# A write the ledger will never accept (unknown operator, invalid facts): not retried.
ERR_LEDGER_REFUSED = "LedgerRefused"


class ReceiptInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    session_id: str
    operator: str
    terminal_id: str
    short_code: str
    charge_point_id: int
    charge_point: ChargePointInfo | None = None
    tariff: Tariff
    authorization: Authorization
    snapshot: ChargeSnapshot
    price: Money  # what the charge cost (Monta's final price, or the last known one)
    captured: Money
    released: Money | None = None
    uncollected: Money | None = None
    # Incremental authorization: what each increment added to the hold, in order; the
    # authorization's amount is the total after them (docs/increments.md).
    increments: list[Money] = []
    time_scale: float = 1.0
    issued_at: datetime
    # Idle time and its fee (docs/idle-fees.md): inside `price` either way; billed by Monta
    # (its price group's fee) or added by chargepay (the operator's rule).
    idle_rules: IdleRules | None = None
    idle: IdleFee | None = None


class ReceiptWritten(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    created: bool  # False: the session's receipt was already there (a retry or a replay)


# ---------------------------------------------------------------- corrected receipts
# A driver's business VAT id on request: a corrected receipt with its own number that refers
# to the first, issued once per session by the session's records workflow.
LEDGER_CORRECT_RECEIPT = "ledger_correct_receipt"
UPDATE_CORRECT_RECEIPT = "correct_receipt"
# The receipt was already corrected with another buyer (non-retryable; the API's 409).
REFUSED_ALREADY_CORRECTED = "receipt_already_corrected"
# EU VAT ids: a country prefix and 2-13 letters, digits or + * (VIES's format).
VAT_ID_PATTERN = r"^[A-Z]{2}[A-Z0-9+*]{2,13}$"


class Buyer(BaseModel):
    model_config = ConfigDict(frozen=True)

    vat_id: str = Field(pattern=VAT_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)

    @field_validator("vat_id")
    @classmethod
    def _has_digits(cls, value: str) -> str:
        # Every member state's VAT number has digits after the prefix: a word is not one.
        if not any(ch.isdigit() for ch in value[2:]):
            raise ValueError("a VAT id has digits after its country prefix")
        return value


class CorrectReceiptInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    session_id: str
    operator: str
    buyer: Buyer
    issued_at: datetime
