"""Reconciliation decisions (pure): do Monta's charges, Monta's wallet, the sessions'
outcomes and the acquirer's holds agree? Every disagreement becomes one `Mismatch`.

Only settled facts are judged: a session still running is never blamed for a capture it
has not made yet, and a hold younger than the grace period may still get its session.

Which open holds are orphans, and which may be voided: workflows/reconciliation_holds.py.
"""

from __future__ import annotations

from datetime import datetime

from workflows.contracts import ChargeSnapshot, WalletTransactionSummary
from workflows.reconciliation_holds import (
    hold_checks,
)
from workflows.reconciliation_increments import increment_checks
from workflows.reconciliation_models import (
    KINDS,
    Facts,
    HoldRecord,
    Mismatch,
    ReconcileReport,
    SessionOutcome,
)
from workflows.reconciliation_refunds import refund_checks


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
        due = price + s.own_idle_fee_minor  # Monta's price, and chargepay's own idle fee
        hold = holds.get(s.authorization_id or "")
        captured = hold.captured_minor if hold else (s.captured.amount_minor if s.captured else 0)
        authorized = _authorized(hold, s)
        common = {**base, "authorization_id": s.authorization_id}
        if captured <= 0:
            out.append(
                Mismatch(
                    kind="completed_without_capture",
                    expected_minor=min(due, authorized) if authorized else due,
                    actual_minor=0,
                    detail=f"session {s.state}",
                    **common,
                )
            )
        elif authorized is not None and captured != min(due, authorized):
            out.append(
                Mismatch(
                    kind="capture_mismatch",
                    expected_minor=min(due, authorized),
                    actual_minor=captured,
                    detail=f"price {price}, idle fee {s.own_idle_fee_minor}, held {authorized}",
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


def find_mismatches(f: Facts) -> list[Mismatch]:
    sessions = {s.session_id: s for s in f.sessions}
    charged = {ch.partner_external_id or "" for ch in f.charges}
    return [
        *_charge_checks(f, sessions),
        *_session_checks(f, charged),
        *hold_checks(f),
        *refund_checks(f),
        *increment_checks(f),
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
