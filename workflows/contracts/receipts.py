"""What the session hands the ledger when it completes: the facts its receipt is made of.

All of it is what the session already knows (no new reads): the frozen tariff (the price
shown before the start), the hold (card brand and last 4 as the acquirer reported them),
Monta's final snapshot, and what was captured and released.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from core.money import Money
from workflows.contracts.activities import Authorization, ChargePointInfo, ChargeSnapshot, Tariff

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
    time_scale: float = 1.0
    issued_at: datetime


class ReceiptWritten(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    created: bool  # False: the session's receipt was already there (a retry or a replay)
