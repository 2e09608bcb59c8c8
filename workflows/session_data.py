"""The session workflow's whole state, one pydantic model carried across continue-as-new."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from core.money import Money
from workflows.budget import Budget
from workflows.contracts import (
    Authorization,
    ChargePointInfo,
    ChargeSnapshot,
    HoldIncrement,
    SessionStateName,
    Tariff,
)
from workflows.contracts.idle import IdleFee
from workflows.merge import ChargeView


class SessionData(BaseModel):
    state: SessionStateName = "authorizing"
    created_at: datetime | None = None
    charge_point: ChargePointInfo | None = None
    tariff: Tariff | None = None
    authorization: Authorization | None = None
    budget: Budget | None = None
    charge_id: int | None = None
    accepted_at: datetime | None = None
    view: ChargeView | None = None
    last_signal_at: datetime | None = None
    silence_checked_at: datetime | None = None  # the last read of a silent charge
    stop_requested: str | None = None  # who asked: terminal, operator, ...
    stop_requested_at: datetime | None = None
    stop_reason: str | None = None  # why the session stopped the charge
    stop_sent_at: datetime | None = None
    stopping_since: datetime | None = None  # settle deadline base when Monta ended it itself
    captured: Money | None = None
    released: Money | None = None
    uncollected: Money | None = None
    settled_price: Money | None = None
    attention: str | None = None
    reason: str | None = None  # machine-readable reason of a failed final state
    last_error: str | None = None
    finished_at: datetime | None = None
    hold_claimed: bool = False  # this session owns the hold's claim (workflows/hold_claim.py)
    charge_point_claimed: bool = False  # and the point's (workflows/charge_point_claim.py)
    stop_confirmed: bool = False  # Monta answered the stop: the charge will not draw more
    stop_attempts: int = 0
    final_price_watch_until: datetime | None = None  # captured before `completed`
    final_price_reads: int = 0  # reads of the charge since (workflows/final_price_watch.py)
    start_outcome_unknown: bool = False  # a start may have committed; lookups failed
    waiting_for_operator: bool = False  # the hold is stuck open: retried, or an operator acts
    operator_actions: list[str] = []  # "<request id> <user> <action>: <reason>", in order
    receipt_number: int | None = None  # the ledger issued the receipt (session_receipt.py)
    increments: list[HoldIncrement] = []  # the hold's increments, in order (docs/increments.md)
    increments_ended: str | None = None  # why no more are asked; stops at the current hold
    # An increment left unanswered (it may have committed): asked once more, same key and
    # body, once the stop is sent (workflows/session_increments.py `recheck_unanswered`).
    unanswered_increment: Money | None = None
    unanswered_rechecked: bool = False
    # The stopping deadline at which the session last read the charge before settling.
    read_at_deadline: datetime | None = None
    idle: IdleFee | None = None  # idle time and its fee, once settled (docs/idle-fees.md)
    runs: int = 1  # how many runs (continue-as-new) this session took

    @property
    def snapshot(self) -> ChargeSnapshot | None:
        """Monta's latest view of the charge, once one arrived."""
        return self.view.snapshot if self.view else None

    @property
    def consumed_kwh(self) -> Decimal:
        return self.view.snapshot.consumed_kwh if self.view else Decimal(0)

    @property
    def energy_flows(self) -> bool:
        """The car draws (or drew) energy: `starting` becomes `charging`."""
        snap = self.snapshot
        return snap is not None and (snap.consumed_kwh > 0 or snap.state == "charging")

    @property
    def charge_completed(self) -> bool:
        """Monta reported the charge `completed`: its price is final."""
        return self.snapshot is not None and self.snapshot.state == "completed"
