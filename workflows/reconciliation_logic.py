"""Reconciliation decisions (pure): do Monta's charges, Monta's wallet, the sessions'
outcomes and the acquirer's holds agree? Every disagreement becomes one `Mismatch`.

Only settled facts are judged: a session still running is never blamed for a capture it
has not made yet, and a hold younger than the grace period may still get its session.

Reconciliation never destroys a capture that can still succeed. An open hold whose session
ended with something left to collect (its capture failed, part of its price is uncollected,
or it completed with a price and nothing captured) is still worth that money: voiding it
would release the driver's funds for good. Such a hold is `capture_outstanding`, reported
for an operator (retry the capture or write it off) and never voided. Only a hold whose
session ended with nothing to collect (voided, declined, rejected, start_failed, or
completed with its capture done) is `hold_open_after_session_end`. A session that ended in
any other way (terminated, failed, timed out) may have delivered energy: its hold is
outstanding too, for a human to judge.

Orphan holds. One acquirer account serves every operator, so the hold list holds every
operator's holds while the sessions are the reconciling operator's. A hold is an orphan only
if it is open, at least `hold_grace` old counted from the hold's own `created_at` (the
terminal's tap, before its session even starts), and no running session of ANY operator
holds it (`LiveHolds`). The grace alone does not protect a session still in `pricing` or
`authorizing`: it does not know its hold's id yet, and it may have started long after the
tap (the driver took time at the terminal), so the hold can be past the grace while its
session is seconds old. Every running session without a hold id therefore protects, whatever
its age, the holds it could still verify: those placed on its own terminal (card-present
holds carry the terminal id) and every hold that names no terminal (placed from a token).
Those holds are reported `deferred: ...` and not voided. If any running session did not
answer its status query, or has been running longer than the grace without a hold id, or
its terminal is unknown, a hold cannot be proven orphaned at all: every orphan is then
reported `deferred: ...` and none is voided. A hold of another operator's *finished*
session may be reported (and voided) by either operator's run; voiding is idempotent
(`reconcile/<hold>/void`), so that is harmless.
"""

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
RECONCILE_LEDGER_REFUNDS = "reconcile_ledger_refunds"

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


# ---------------------------------------------------------------- the checks
def _charge_checks(f: Facts, sessions: dict[str, SessionOutcome]) -> list[Mismatch]:
    holds = {h.authorization_id: h for h in f.holds}
    wallet: dict[str, list[WalletTransactionSummary]] = {}
    for tx in f.wallet:
        wallet.setdefault(tx.reference_id or "", []).append(tx)
    out: list[Mismatch] = []
    for ch in f.charges:
        sid = ch.partner_external_id or ""
        s = sessions.get(sid)
        base = {"session_id": sid, "charge_id": ch.charge_id, "currency": ch.currency}
        if s is None:
            out.append(Mismatch(kind="charge_without_session", detail="no workflow", **base))
            continue
        if s.charge_id is not None and s.charge_id != ch.charge_id:
            # A start Monta committed after the session's retry window: nobody bills it.
            detail = f"the session follows charge {s.charge_id}; this one is {ch.state}"
            out.append(Mismatch(kind="second_charge", detail=detail, **base))
            continue
        if ch.state != "completed" or s.running:
            continue
        price = ch.price_minor or 0
        out += _wallet_check(ch, price, wallet.get(str(ch.charge_id), []), base)
        if price <= 0:
            continue
        hold = holds.get(s.authorization_id or "")
        captured = hold.captured_minor if hold else (s.captured.amount_minor if s.captured else 0)
        authorized = _authorized(hold, s)
        common = {**base, "authorization_id": s.authorization_id}
        if captured <= 0:
            out.append(
                Mismatch(
                    kind="completed_without_capture",
                    expected_minor=min(price, authorized) if authorized else price,
                    actual_minor=0,
                    detail=f"session {s.state}",
                    **common,
                )
            )
        elif authorized is not None and captured != min(price, authorized):
            out.append(
                Mismatch(
                    kind="capture_mismatch",
                    expected_minor=min(price, authorized),
                    actual_minor=captured,
                    detail=f"price {price}, authorized {authorized}",
                    **common,
                )
            )
    return out


def _authorized(hold: HoldRecord | None, s: SessionOutcome) -> int | None:
    if hold is not None:
        return hold.amount.amount_minor
    return s.authorized.amount_minor if s.authorized else None


def _wallet_check(
    ch: ChargeSnapshot, price: int, txs: list[WalletTransactionSummary], base: dict[str, object]
) -> list[Mismatch]:
    if price <= 0:
        return []
    total = sum(tx.amount_minor or 0 for tx in txs)
    if total == price:
        return []
    detail = "no wallet transaction" if not txs else f"{len(txs)} transaction(s)"
    return [
        Mismatch(
            kind="wallet_mismatch",
            expected_minor=price,
            actual_minor=total,
            detail=detail,
            **base,
        )
    ]


def _session_checks(f: Facts, charged: set[str]) -> list[Mismatch]:
    out: list[Mismatch] = []
    for s in f.sessions:
        if s.running or s.closed_at is None or s.closed_at < f.judge_sessions_closed_after:
            continue
        paid = s.captured is not None and s.captured.amount_minor > 0
        if (s.charge_id is not None or paid) and s.session_id not in charged:
            out.append(
                Mismatch(
                    kind="session_without_charge",
                    session_id=s.session_id,
                    charge_id=s.charge_id,
                    authorization_id=s.authorization_id,
                    actual_minor=s.captured.amount_minor if s.captured else None,
                    currency=s.captured.currency if s.captured else None,
                    detail=f"session {s.state}; Monta has no charge with this partnerExternalId",
                )
            )
    return out


def orphan_holds(f: Facts) -> list[HoldRecord]:
    """Open holds past the grace period (from the hold's creation) that no running session
    of any operator holds on to."""
    live = {s.authorization_id for s in f.sessions if s.running and s.authorization_id}
    live.update(f.live.authorization_ids)
    return [
        h
        for h in f.holds
        if h.status == "open"
        and h.authorization_id not in live
        and f.now - h.created_at >= f.hold_grace
    ]


def void_deferral(live: LiveHolds) -> str | None:
    """Why no orphan may be voided in this run, or None: a running session that did not
    answer, or that still has no hold id past the grace or on an unknown terminal, might
    own any of them."""
    why = []
    if live.unanswered:
        why.append(f"{live.unanswered} running sessions did not answer")
    if live.unbound:
        why.append(f"{live.unbound} running sessions have no hold id past the grace")
    return "deferred: " + "; ".join(why) if why else None


def verifying_deferral(h: HoldRecord, live: LiveHolds) -> str | None:
    """Why this hold may not be voided because a running session may still verify it, or
    None: the session is still pricing or authorizing (no hold id yet), whatever its age,
    and the hold was placed on its terminal or names no terminal at all."""
    if not live.verifying_terminals:
        return None
    if h.terminal_id is None:
        n = len(live.verifying_terminals)
        return f"deferred: {n} running sessions have no hold id yet; the hold names no terminal"
    if h.terminal_id in live.verifying_terminals:
        return f"deferred: a running session on terminal {h.terminal_id} has no hold id yet"
    return None


NOTHING_TO_COLLECT = ("voided", "declined", "rejected", "start_failed")


def _minor(m: Money | None) -> int:
    return m.amount_minor if m is not None else 0


def capture_outstanding(s: SessionOutcome) -> str | None:
    """Why the finished session `s` may still collect money on its open hold, or None when
    it ended with nothing to collect (only then may its hold be voided)."""
    if "capture_failed" in (s.attention or "") or s.reason == "capture_failed":
        return f"session {s.state}: capture failed ({s.attention or s.reason})"
    if _minor(s.uncollected) > 0:
        return f"session {s.state}: {_minor(s.uncollected)} uncollected"
    if s.state in NOTHING_TO_COLLECT:
        return None
    if s.state != "completed":
        return f"session {s.state}: it may have delivered energy"
    if _minor(s.captured) <= 0 and _minor(s.price) > 0:
        return f"session completed: price {_minor(s.price)}, nothing captured"
    return None


def needs_void(m: Mismatch) -> bool:
    """An orphan hold the workflow should void (unless told to only report)."""
    return (
        m.kind == "hold_open_after_session_end"
        and m.authorization_id is not None
        and m.action is None
    )


def _hold_checks(f: Facts) -> list[Mismatch]:
    owner = {s.authorization_id: s for s in f.sessions if s.authorization_id}
    deferred = void_deferral(f.live)
    out = []
    for h in orphan_holds(f):
        s = owner.get(h.authorization_id)
        base = {
            "session_id": s.session_id if s else None,
            "charge_id": s.charge_id if s else None,
            "authorization_id": h.authorization_id,
            "actual_minor": h.amount.amount_minor,
            "currency": h.amount.currency,
        }
        outstanding = capture_outstanding(s) if s else None
        if outstanding is not None:
            out.append(
                Mismatch(
                    kind="capture_outstanding",
                    detail=f"{outstanding}; the hold is open: retry the capture or write it off",
                    action="report_only",
                    **base,
                )
            )
            continue
        out.append(
            Mismatch(
                kind="hold_open_after_session_end",
                detail=f"session {s.state}" if s else "no session of this operator holds it",
                action=deferred or verifying_deferral(h, f.live),
                **base,
            )
        )
    return out


def refunded_holds(holds: list[HoldRecord]) -> list[str]:
    """The holds the acquirer shows refunds on: the ones the ledger is asked about."""
    return sorted(h.authorization_id for h in holds if h.refunded_minor)


def _refund_checks(f: Facts) -> list[Mismatch]:
    """Every refund the acquirer made is in the ledger (with its credit note), to the cent."""
    if f.ledger_refunded is None:
        return []
    out = []
    for h in f.holds:
        recorded = f.ledger_refunded.get(h.authorization_id, 0)
        if h.refunded_minor == recorded:
            continue
        out.append(
            Mismatch(
                kind="refund_mismatch",
                authorization_id=h.authorization_id,
                expected_minor=recorded,
                actual_minor=h.refunded_minor,
                currency=h.amount.currency,
                detail="the acquirer's refunds differ from the ledger's credit notes",
                action="report_only",
            )
        )
    return out


def find_mismatches(f: Facts) -> list[Mismatch]:
    sessions = {s.session_id: s for s in f.sessions}
    charged = {ch.partner_external_id or "" for ch in f.charges}
    return [
        *_charge_checks(f, sessions),
        *_session_checks(f, charged),
        *_hold_checks(f),
        *_refund_checks(f),
    ]


def sessions_missing_charges(
    sessions: list[SessionOutcome], charges: list[ChargeSnapshot], closed_after: datetime
) -> list[str]:
    """Closed sessions that reached Monta but whose charge is not in the window's list:
    look each up by partnerExternalId before calling it missing."""
    charged = {ch.partner_external_id for ch in charges}
    return [
        s.session_id
        for s in sessions
        if not s.running
        and s.charge_id is not None
        and s.closed_at is not None
        and s.closed_at >= closed_after
        and s.session_id not in charged
    ]


# ---------------------------------------------------------------- presentation
CSV_FIELDS = (
    "kind",
    "session_id",
    "charge_id",
    "authorization_id",
    "expected_minor",
    "actual_minor",
    "currency",
    "detail",
    "action",
)


def summary_markdown(r: ReconcileReport) -> str:
    head = (
        f"reconciliation **{r.operator}** {r.window_from:%Y-%m-%d %H:%M:%S} → "
        f"{r.window_to:%Y-%m-%d %H:%M:%S} UTC · charges {r.charges} · sessions {r.sessions} · "
        f"holds {r.holds} · wallet {r.wallet_transactions} · Monta requests {r.monta_requests}"
    )
    if not r.mismatches:
        return head + "\n\n**clean**: no mismatch"
    counts = " · ".join(f"{k} {r.count(k)}" for k in KINDS if r.count(k))
    lines = [head, "", f"**{len(r.mismatches)} mismatch(es)**: {counts}", ""]
    for m in r.mismatches[:20]:
        lines.append(
            f"- {m.kind}: session {m.session_id} charge {m.charge_id} hold {m.authorization_id}"
            f" expected {m.expected_minor} actual {m.actual_minor} {m.currency or ''}"
            f" {m.detail}{' → ' + m.action if m.action else ''}"
        )
    if len(r.mismatches) > 20:
        lines.append(f"- … {len(r.mismatches) - 20} more in the report file")
    return "\n".join(lines)
