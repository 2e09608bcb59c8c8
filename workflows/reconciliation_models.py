"""What reconciliation reads, decides and reports: its activities' inputs and answers, the
facts it judges, and the mismatches it finds (the rules: workflows/reconciliation_logic.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from core.money import Money
from workflows.contracts import ChargeSnapshot, WalletTransactionSummary

RECONCILIATION_WORKFLOW = "ReconciliationWorkflow"
MONTA_WALLET_PAGE = "monta_wallet_page"  # on monta-<operator>
RECONCILE_SESSIONS = "reconcile_sessions"  # session queue: Temporal visibility + results
RECONCILE_HOLDS = "reconcile_holds"  # session queue: the gateway's list of holds
RECONCILE_LIVE_HOLDS = "reconcile_live_holds"  # session queue: every operator's running sessions
RECONCILE_VOID_HOLD = "reconcile_void_hold"
STATE_UNANSWERED = "unknown"  # SessionOutcome.state of a running session that did not answer
RECONCILE_WRITE_REPORT = "reconcile_write_report"
RECONCILE_LEDGER_REFUNDS = "reconcile_ledger_refunds"  # background queue: the ledger's read

MismatchKind = Literal[
    "completed_without_capture",
    "capture_mismatch",
    "hold_open_after_session_end",
    "capture_outstanding",
    "charge_without_session",
    "second_charge",
    "session_without_charge",
    "wallet_mismatch",
    "refund_mismatch",
    "hold_amount_mismatch",
]
# Every kind, in the Literal's order (reports and metrics list them so).
KINDS: tuple[MismatchKind, ...] = get_args(MismatchKind)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReconcileInput(_Model):
    operator: str
    monta_task_queue: str
    window_from: datetime | None = None  # None: now - window_s
    window_to: datetime | None = None  # None: now
    window_s: float = 24 * 3600.0  # real-world seconds
    time_scale: float = 1.0
    auto_void: bool = True
    hold_grace_s: float = 900.0  # real-world seconds
    report_dir: str = ".data/reconciliation"


class WalletPageInput(_Model):
    operator: str
    from_date: datetime
    to_date: datetime
    page: int = 0


class WalletPage(_Model):
    transactions: list[WalletTransactionSummary]
    is_last: bool


class SessionsInput(_Model):
    operator: str
    started_after: datetime
    ids: list[str] = Field(default_factory=list)  # also look these up (charges' owners)


class SessionOutcome(_Model):
    session_id: str
    running: bool
    state: str  # SessionState, or the execution status of a run that did not return
    charge_id: int | None = None
    authorization_id: str | None = None
    authorized: Money | None = None
    captured: Money | None = None
    closed_at: datetime | None = None
    # From the session's status: what reconciliation needs to tell a hold still worth money
    # (capture_outstanding) from one safe to void, and which holds a session may still verify.
    terminal_id: str | None = None
    price: Money | None = None  # Monta's last price the session saw
    uncollected: Money | None = None
    attention: str | None = None
    reason: str | None = None
    # What each increment added to the hold, in order (`authorized` is the total after them).
    increments: list[Money] = []
    # The idle fee chargepay added to Monta's price in its capture (docs/idle-fees.md).
    own_idle_fee_minor: int = 0


class HoldsInput(_Model):
    created_after: datetime


class HoldRecord(_Model):
    authorization_id: str
    amount: Money
    status: str  # open | captured | voided | expired (emulator); Stripe maps to these
    captured_minor: int = 0
    refunded_minor: int = 0  # given back since the capture (the acquirer's refunds)
    created_at: datetime  # the acquirer's: the grace period runs from here
    terminal_id: str | None = None  # the terminal that placed it (card-present); None: token


class LiveHoldsInput(_Model):
    # A running session that started before this and still has no hold id might own any
    # hold past the grace (its authorize/verify is stuck): such sessions block voiding.
    unbound_started_before: datetime


class LiveHolds(_Model):
    """What running sessions of every operator say about the holds they own."""

    authorization_ids: list[str] = Field(default_factory=list)
    unanswered: int = 0  # running sessions whose status query failed
    # No hold id yet, and running since before the grace or on an unknown terminal: such a
    # session might own any hold.
    unbound: int = 0
    # Terminals of running sessions (any age) that have no hold id yet: still pricing or
    # authorizing, they may verify a hold of their terminal or one that names no terminal.
    verifying_terminals: list[str] = Field(default_factory=list)


class VoidHoldInput(_Model):
    authorization_id: str
    idempotency_key: str


class Mismatch(_Model):
    kind: MismatchKind
    session_id: str | None = None
    charge_id: int | None = None
    authorization_id: str | None = None
    expected_minor: int | None = None
    actual_minor: int | None = None
    currency: str | None = None
    detail: str = ""
    # "voided" | "void_failed: ..." | "report_only" | "deferred: ..." (see hold_deferral)
    action: str | None = None


class ReconcileReport(_Model):
    operator: str
    window_from: datetime
    window_to: datetime
    generated_at: datetime
    charges: int = 0
    wallet_transactions: int = 0
    sessions: int = 0
    holds: int = 0
    monta_requests: int = 0
    mismatches: list[Mismatch] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)

    def count(self, kind: MismatchKind) -> int:
        return sum(1 for m in self.mismatches if m.kind == kind)


class Facts(_Model):
    charges: list[ChargeSnapshot]  # ours, completed in the window (plus any owner lookups)
    wallet: list[WalletTransactionSummary]
    sessions: list[SessionOutcome]
    holds: list[HoldRecord]
    live: LiveHolds  # running sessions of every operator, not only `sessions`
    now: datetime
    hold_grace: timedelta
    judge_sessions_closed_after: datetime  # sessions closed earlier are outside the window
    # What the ledger recorded as refunded, per hold (read only for holds the acquirer shows
    # refunds on); None: not read.
    ledger_refunded: dict[str, int] | None = None
